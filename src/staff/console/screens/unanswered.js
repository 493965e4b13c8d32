// @ts-check
// 未答问题: questions the assistant could not answer, most asked first.
import { listUnanswered } from "../lib/client.js";
import { fmtTime, h, main, table } from "../lib/dom.js";

/** @type {import("../lib/view.js").Screen} */
export async function screenUnanswered(view) {
  const res = await listUnanswered("open");
  if (view.stale()) return;
  main().replaceChildren(
    h("h1", {}, "助手没答上来的问题"),
    h("p", { class: "muted small" }, "按被问次数排序。可据此补充知识库。"),
    res.items.length
      ? table(
          ["问题（示例）", "次数", "最近一次"],
          res.items.map((q) => h("tr", {}, h("td", {}, q.sample), h("td", {}, q.count), h("td", {}, fmtTime(q.lastAskedAt)))),
        )
      : h("p", { class: "muted" }, "还没有记录。"),
  );
}
