// @ts-check
// 未答问题: questions the assistant could not answer, most asked first, with their trend over
// the last 14 days. Editors (and admins) turn one into an example of an entry in two clicks
// ("加为示例", pre-filled with the closest entry, then "确认"), start a draft of a new entry from
// it, or dismiss it; handled questions leave the open list.
import { act, can } from "../lib/api.js";
import { attachUnanswered, dismissUnanswered, draftFromUnanswered, listKnowledge, listUnanswered } from "../lib/client.js";
import { fmtTime, h, main, table, toast } from "../lib/dom.js";
import { labels } from "../lib/meta.js";
import { go } from "../lib/view.js";

/** @typedef {import("../types.d.ts").UnansweredItem} UnansweredItem */

const SVG = "http://www.w3.org/2000/svg";

/**
 * A small bar chart of asks per day (SVG attributes, no inline styles: the CSP forbids them).
 * @param {number[]} values
 */
function sparkline(values) {
  const w = 4;
  const gap = 1;
  const height = 20;
  const max = Math.max(1, ...values);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("width", String(values.length * (w + gap)));
  svg.setAttribute("height", String(height));
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `近 ${values.length} 天每天被问次数：${values.join("、")}`);
  values.forEach((v, i) => {
    const bar = Math.max(v ? 2 : 0, Math.round((v / max) * height));
    const rect = document.createElementNS(SVG, "rect");
    rect.setAttribute("x", String(i * (w + gap)));
    rect.setAttribute("y", String(height - bar));
    rect.setAttribute("width", String(w));
    rect.setAttribute("height", String(bar));
    svg.append(rect);
  });
  return svg;
}

/** @param {number[]} values asks per day, oldest first */
const sum = (values) => values.reduce((a, b) => a + b, 0);

/** @type {import("../lib/view.js").Screen} */
export async function screenUnanswered(view, _arg, params) {
  const status = params.get("status") === "handled" ? "handled" : "open";
  const editor = can("editor");
  const [res, entries] = await Promise.all([
    listUnanswered(status),
    editor && status === "open" ? listKnowledge() : Promise.resolve({ items: [] }),
  ]);
  if (view.stale()) return;
  const published = entries.items.filter((e) => !e.draft);

  const tabs = h(
    "p",
    { class: "tabs" },
    h("a", { href: "#/unanswered", class: status === "open" ? "tab current" : "tab" }, "待处理"),
    h("a", { href: "#/unanswered?status=handled", class: status === "handled" ? "tab current" : "tab" }, "已处理"),
  );

  if (status === "handled") {
    main().replaceChildren(
      h("h1", {}, "助手没答上来的问题"),
      tabs,
      res.items.length
        ? table(
            ["问题（示例）", "次数", "处理方式", "条目", "处理人", "处理时间"],
            res.items.map((q) =>
              h(
                "tr",
                {},
                h("td", {}, q.sample),
                h("td", {}, q.count),
                h("td", {}, q.handled ? (labels.unansweredHandlings[q.handled.how] ?? q.handled.how) : "—"),
                h(
                  "td",
                  {},
                  q.handled?.entryId
                    ? editor
                      ? h("a", { href: `#/knowledge/${encodeURIComponent(q.handled.entryId)}` }, q.handled.entryId)
                      : q.handled.entryId
                    : "—",
                ),
                h("td", {}, q.handled?.by ?? "—"),
                h("td", {}, fmtTime(q.handled?.at)),
              ),
            ),
          )
        : h("p", { class: "muted" }, "还没有处理过的问题。"),
    );
    return;
  }

  // Totals over the 14 days every trend covers, and this week against the week before.
  const days = Math.max(0, ...res.items.map((q) => q.trend.length));
  /** @type {number[]} */
  const total = Array.from({ length: days }, (_, i) => sum(res.items.map((q) => q.trend[q.trend.length - days + i] ?? 0)));
  const thisWeek = sum(total.slice(-7));
  const lastWeek = sum(total.slice(-14, -7));

  /**
   * The row's actions: attach as an example (pre-filled with the suggestion, then confirm), start
   * a draft, dismiss.
   * @param {UnansweredItem} q
   * @param {HTMLTableRowElement} row
   * @param {HTMLElement} cell
   */
  const actions = (q, row, cell) => {
    const handled = (/** @type {string} */ message) => {
      toast(message);
      row.remove();
    };
    const attach = () => {
      const select = h(
        "select",
        { name: "entryId", "aria-label": "加到哪个条目" },
        h("option", { value: "" }, "选择条目…"),
        // Published entries only: a draft is not answered from until it is published.
        published.map((e) => h("option", { value: e.id, selected: e.id === q.suggestion?.entryId }, `${e.title}（${e.id}）`)),
      );
      const confirmButton = h(
        "button",
        {
          type: "button",
          onclick: (e) =>
            act(e.currentTarget, async () => {
              if (!select.value) {
                toast("请先选择条目。", true);
                return;
              }
              await attachUnanswered(q.id, select.value);
              const title = published.find((x) => x.id === select.value)?.title ?? select.value;
              handled(`已加为“${title}”的示例问题，助手现在就能答上来。`);
            }),
        },
        "确认",
      );
      cell.replaceChildren(
        h(
          "div",
          { class: "attach" },
          select,
          confirmButton,
          h("button", { type: "button", class: "link", onclick: () => cell.replaceChildren(...buttons()) }, "取消"),
        ),
      );
      confirmButton.focus();
    };
    const buttons = () => [
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", onclick: attach }, "加为示例"),
        h(
          "button",
          {
            type: "button",
            class: "secondary",
            onclick: (e) =>
              act(e.currentTarget, async () => {
                const draft = await draftFromUnanswered(q.id);
                handled("已起草新条目，请补充内容后发布。");
                go(`#/draft/${encodeURIComponent(draft.id)}`);
              }),
          },
          "起草新条目",
        ),
        h(
          "button",
          {
            type: "button",
            class: "link",
            onclick: (e) =>
              act(e.currentTarget, async () => {
                await dismissUnanswered(q.id);
                handled("已忽略。");
              }),
          },
          "忽略",
        ),
      ),
    ];
    cell.replaceChildren(...buttons());
  };

  main().replaceChildren(
    h("h1", {}, "助手没答上来的问题"),
    tabs,
    h(
      "div",
      { class: "cards" },
      h("div", { class: "card" }, h("div", { class: "value" }, res.items.length), h("div", { class: "label" }, "待处理的问题")),
      h(
        "div",
        { class: "card" },
        h("div", { class: "value" }, sum(res.items.map((q) => q.count))),
        h("div", { class: "label" }, "累计被问次数"),
      ),
      h(
        "div",
        { class: "card" },
        h("div", { class: "value" }, thisWeek),
        h(
          "div",
          { class: "label" },
          `近 7 天被问次数（前 7 天 ${lastWeek}${thisWeek > lastWeek ? "，上升" : thisWeek < lastWeek ? "，下降" : ""}）`,
        ),
      ),
      days ? h("div", { class: "card" }, sparkline(total), h("div", { class: "label" }, `近 ${days} 天每天合计`)) : null,
    ),
    h(
      "p",
      { class: "muted small" },
      editor
        ? "按被问次数排序。“加为示例”把问题加到建议的条目（可改选），确认后助手立即就能答上来。"
        : "按被问次数排序。知识库编辑可据此补充知识库。",
    ),
    res.items.length
      ? table(
          ["问题（示例）", "次数", "近 14 天", "最近一次", "建议条目", ...(editor ? ["处理"] : [])],
          res.items.map((q) => {
            const cell = h("td", {});
            const row = h(
              "tr",
              { dataset: { question: q.id } },
              h("td", {}, q.sample),
              h("td", {}, q.count),
              h("td", {}, q.trend.length ? sparkline(q.trend) : "—"),
              h("td", {}, fmtTime(q.lastAskedAt)),
              h("td", {}, q.suggestion ? q.suggestion.title : "—"),
              editor ? cell : null,
            );
            if (editor) actions(q, row, cell);
            return row;
          }),
        )
      : h("p", { class: "muted" }, "没有待处理的问题。"),
  );
}
