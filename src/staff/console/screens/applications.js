// @ts-check
// 申请审核: the list with filters (types, statuses, districts from /meta) and one application
// with its decision (approve, reject with a reason, ask for more information).
import { act, ApiError, can } from "../lib/api.js";
import { decide, getApplication, listApplications } from "../lib/client.js";
import { fmtTime, h, main, options, statusTag, table, toast } from "../lib/dom.js";
import { labels, meta } from "../lib/meta.js";
import { revealable, revealableId } from "../lib/reveal.js";
import { go } from "../lib/view.js";

const FILTERS = /** @type {const} */ (["type", "status", "district", "from", "to"]);

/** @type {import("../lib/view.js").Screen} */
export async function screenApplications(view, _arg, params) {
  const fields = {
    type: h("select", { name: "type" }, options(labels.applicationTypes, params.get("type"), "全部类型")),
    status: h("select", { name: "status" }, options(labels.applicationStatuses, params.get("status") ?? "pending", "全部状态")),
    district: h("select", { name: "district" }, options(labels.districts, params.get("district") ?? "", "全部区县")),
    from: h("input", { name: "from", type: "date", value: params.get("from") ?? "" }),
    to: h("input", { name: "to", type: "date", value: params.get("to") ?? "" }),
  };
  /** The filters as a query; an empty status means "all" (kept, so the default "pending" does not come back). */
  const query = () => {
    /** @type {Record<string, string>} */
    const q = {};
    for (const key of FILTERS) if (fields[key].value.trim()) q[key] = fields[key].value.trim();
    return q;
  };
  const list = h("div", {});
  main().replaceChildren(
    h("h1", {}, "申请审核"),
    h(
      "form",
      {
        class: "filters",
        onsubmit: (e) => {
          e.preventDefault();
          const q = new URLSearchParams(query());
          if (!fields.status.value) q.set("status", "");
          location.hash = `#/applications?${q}`;
        },
      },
      h("label", {}, "类型", fields.type),
      h("label", {}, "状态", fields.status),
      h("label", {}, "区县", fields.district),
      h("label", {}, "提交日期从", fields.from),
      h("label", {}, "到", fields.to),
      h("button", { type: "submit" }, "筛选"),
    ),
    list,
  );
  const res = await listApplications(query());
  if (view.stale()) return;
  list.replaceChildren(
    h("p", { class: "muted small" }, `共 ${res.total} 份，最早提交的在前。`),
    res.items.length
      ? table(
          ["编号", "类型", "状态", "姓名", "身份证号", "区县", "提交时间"],
          res.items.map((a) =>
            h(
              "tr",
              {
                class: "clickable",
                onclick: () => {
                  location.hash = `#/application/${a.id}`;
                },
              },
              h("td", {}, h("a", { href: `#/application/${a.id}` }, a.reference)),
              h("td", {}, a.typeLabel),
              h("td", {}, statusTag(a.status, labels.applicationStatuses)),
              h("td", {}, a.name || "—"),
              h("td", {}, a.idNumberMasked || "—"),
              h("td", {}, a.district || "—"),
              h("td", {}, fmtTime(a.createdAt)),
            ),
          ),
        )
      : h("p", { class: "muted" }, "没有符合条件的申请。"),
  );
}

/** @type {import("../lib/view.js").Screen} */
export async function screenApplication(view, id) {
  if (!id) throw new ApiError(404, "not_found", "没有这份申请。");
  const a = await getApplication(id);
  if (view.stale()) return;
  const reason = h("textarea", {
    name: "reason",
    placeholder: "不通过的原因，或需要居民补充的内容（居民会收到）",
    maxlength: 1000,
  });
  /** @param {import("../types.d.ts").StaffMeta["decisions"][number]} decision */
  const decideWith = (decision) => (/** @type {MouseEvent & { currentTarget: HTMLButtonElement }} */ e) =>
    act(e.currentTarget, async () => {
      const text = reason.value.trim();
      if (decision.reasonRequired && !text) {
        toast(`“${decision.label}”需要写明原因或要补充的内容（居民会收到）`, true);
        reason.focus();
        return;
      }
      if (!confirm(`确定“${decision.label}”这份申请吗？居民会收到通知。`)) return;
      await decide(id, decision.code, text || undefined);
      toast(`已${decision.label}，已通知居民`);
      go(location.hash);
    });
  /** @type {Record<string, string>} */
  const decisionClass = { approve: "", reject: "danger" };
  const open = a.status === "pending" || a.status === "info_requested";
  const fieldLabels = labels.fields[a.type] ?? {};
  // Phones in the data (the landlord's…) are masked; a reviewer reveals one (audited).
  const phoneFields = new Set(a.phoneFields);
  const dataRows = Object.entries(a.data).flatMap(([k, v]) => [
    h("dt", {}, fieldLabels[k] ?? k),
    phoneFields.has(k)
      ? h("dd", {}, revealable(a.id, String(v), k))
      : h("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v)),
  ]);
  main().replaceChildren(
    h("p", {}, h("a", { href: "#/applications" }, "← 返回申请列表")),
    h("h1", {}, `${a.typeLabel} ${a.reference}`),
    h(
      "p",
      {},
      statusTag(a.status, labels.applicationStatuses),
      ` 提交于 ${fmtTime(a.createdAt)}`,
      a.decidedAt ? ` · ${a.decidedByName || ""} 决定于 ${fmtTime(a.decidedAt)}` : "",
    ),
    h(
      "div",
      { class: "row" },
      h(
        "div",
        { class: "grow panel" },
        h(
          "dl",
          { class: "fields" },
          h("dt", {}, "姓名"),
          h("dd", {}, a.name || "—"),
          h("dt", {}, "身份证号"),
          h("dd", {}, revealableId(a.id, a.hasIdNumber ? a.idNumberMasked : null)),
          h("dt", {}, "电话"),
          h("dd", {}, revealable(a.id, a.phoneMasked, "phone")),
          h("dt", {}, "渠道"),
          h("dd", {}, labels.channels[a.resident.channel] ?? a.resident.channel),
          ...dataRows,
          a.decisionReason ? [h("dt", {}, "审核意见"), h("dd", {}, a.decisionReason)] : [],
        ),
        a.infoRequest
          ? h(
              "div",
              { class: "panel" },
              h("h2", {}, "补充材料"),
              h(
                "p",
                {},
                `要求（${a.infoRequest.askedBy || ""} ${fmtTime(a.infoRequest.askedAt)}）：${a.infoRequest.question || ""}`,
              ),
              a.infoRequest.answer
                ? h(
                    "p",
                    {},
                    `居民回复（${fmtTime(a.infoRequest.answeredAt)}）：`,
                    // An answer that held ID or phone numbers is shown masked; the original through a reveal.
                    a.infoRequest.answerHidden ? revealable(a.id, a.infoRequest.answer, "infoAnswer") : a.infoRequest.answer,
                  )
                : h("p", {}, "居民还没有回复。"),
            )
          : null,
        a.conversationId && can("agent")
          ? h("p", {}, h("a", { href: `#/conversation/${a.conversationId}` }, "查看与该居民的会话"))
          : null,
      ),
      h(
        "div",
        { class: "side panel" },
        h("h2", {}, "审核"),
        open
          ? [
              reason,
              h(
                "div",
                { class: "actions" },
                meta().decisions.map((d) =>
                  h("button", { type: "button", class: decisionClass[d.code] ?? "secondary", onclick: decideWith(d) }, d.label),
                ),
              ),
            ]
          : h("p", { class: "muted" }, "这份申请已经处理完毕。"),
      ),
    ),
  );
}
