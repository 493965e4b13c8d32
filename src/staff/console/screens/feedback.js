// @ts-check
// 答案反馈: residents' 有用/没用 per catalogue entry, most unhelpful first.
import { listFeedback } from "../lib/client.js";
import { fmtTime, h, main, table } from "../lib/dom.js";

/** @type {import("../lib/view.js").Screen} */
export async function screenFeedback(view) {
  const res = await listFeedback();
  if (view.stale()) return;
  main().replaceChildren(
    h("h1", {}, "答案反馈"),
    h("p", { class: "muted small" }, "居民对每条知识库答案点“有用/没用”的次数，“没用”多的在前。"),
    res.items.length
      ? table(
          ["知识条目", "有用", "没用", "最近反馈"],
          res.items.map((f) =>
            h("tr", {}, h("td", {}, f.entryId), h("td", {}, f.helpful), h("td", {}, f.unhelpful), h("td", {}, fmtTime(f.lastAt))),
          ),
        )
      : h("p", { class: "muted" }, "还没有反馈。"),
  );
}
