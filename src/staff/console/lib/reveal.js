// @ts-check
// A masked value with a button that shows it in full (an ID number, a phone, an information
// answer that held numbers): reviewers only, and the server audits every reveal.
import { act, can } from "./api.js";
import { revealField } from "./client.js";
import { h } from "./dom.js";

/** What a field is called in the confirmation. @param {string} field */
const what = (field) => (field === "idNumber" ? "身份证号" : field === "infoAnswer" ? "补充内容原文" : "电话号码");

/**
 * One masked value of an application and its reveal button.
 * @param {string} applicationId
 * @param {string | null} masked
 * @param {string} [field] "idNumber", "phone", a phone field of the data (e.g. landlordPhone) or "infoAnswer"
 */
export function revealable(applicationId, masked, field = "idNumber") {
  const text = h("span", {}, masked || "—");
  if (!masked) return [text];
  if (!can("reviewer")) return [text, " ", h("span", { class: "muted small" }, "（审核员可查看完整号码）")];
  const button = h(
    "button",
    {
      type: "button",
      class: "link",
      onclick: (e) => {
        // Kept: the event's currentTarget is gone once the handler awaits.
        const self = e.currentTarget;
        return act(self, async () => {
          if (!confirm(`查看完整${what(field)}会被记录在操作日志中。确定查看吗？`)) return;
          const res = await revealField(applicationId, field);
          text.textContent = res.value;
          self.remove();
        });
      },
    },
    field === "infoAnswer" ? "查看原文" : "查看完整号码",
  );
  return [text, " ", button];
}

/**
 * The masked ID number of an application, and its reveal button.
 * @param {string} applicationId
 * @param {string | null} masked
 */
export const revealableId = (applicationId, masked) => revealable(applicationId, masked, "idNumber");
