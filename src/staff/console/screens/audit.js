// @ts-check
// 操作日志 (admins): who did what, newest first, filtered by action.
import { listAudit } from "../lib/client.js";
import { fmtTime, h, main, options, table } from "../lib/dom.js";
import { labels } from "../lib/meta.js";

/** @type {import("../lib/view.js").Screen} */
export async function screenAudit(view, _arg, params) {
  const before = params.get("before") ?? undefined;
  const action = params.get("action") ?? "";
  const res = await listAudit({ before, action: action || undefined });
  if (view.stale()) return;
  const select = h("select", { name: "action" }, options(labels.auditActions, action, "全部操作"));
  const last = res.items.at(-1);
  main().replaceChildren(
    h("h1", {}, "操作日志"),
    h(
      "form",
      {
        class: "filters",
        onsubmit: (e) => {
          e.preventDefault();
          location.hash = `#/audit?${new URLSearchParams(select.value ? { action: select.value } : {})}`;
        },
      },
      h("label", {}, "操作", select),
      h("button", { type: "submit" }, "筛选"),
    ),
    table(
      ["时间", "人员", "操作", "对象", "说明"],
      res.items.map((r) =>
        h(
          "tr",
          {},
          h("td", {}, fmtTime(r.createdAt)),
          h("td", {}, r.username || "—"),
          h("td", {}, labels.auditActions[r.action] ?? r.action),
          h("td", { class: "small" }, r.targetType ? `${r.targetType} ${r.targetId || ""}` : "—"),
          h("td", { class: "small" }, r.detail || ""),
        ),
      ),
    ),
    res.items.length === 100 && last
      ? h(
          "p",
          {},
          h(
            "a",
            { href: `#/audit?${new URLSearchParams({ ...(action ? { action } : {}), before: String(last.id) })}` },
            "更早的记录 →",
          ),
        )
      : "",
  );
}
