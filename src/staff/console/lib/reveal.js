// @ts-check
// A masked value with a button that shows it in full: reviewers only, and the server audits it.
import { act, can } from "./api.js";
import { revealIdNumber } from "./client.js";
import { h } from "./dom.js";

/**
 * The masked ID number of an application, and its reveal button.
 * @param {string} applicationId
 * @param {string | null} masked
 */
export function revealableId(applicationId, masked) {
  const text = h("span", {}, masked || "—");
  if (!masked) return [text];
  if (!can("reviewer")) return [text, " ", h("span", { class: "muted small" }, "（审核员可查看完整号码）")];
  const button = h(
    "button",
    {
      type: "button",
      class: "link",
      onclick: (e) => {
        const self = e.currentTarget;
        return act(self, async () => {
          if (!confirm("查看完整身份证号会被记录在操作日志中。确定查看吗？")) return;
          const res = await revealIdNumber(applicationId);
          text.textContent = res.idNumber;
          self.remove();
        });
      },
    },
    "查看完整号码",
  );
  return [text, " ", button];
}
