// @ts-check
// 知识库 (editors and admins): every catalogue entry with what needs attention — review due,
// specifics still empty, residents' feedback, unanswered questions that point at it.
import { act } from "../lib/api.js";
import { listKnowledge, startDraft } from "../lib/client.js";
import { h, main, table } from "../lib/dom.js";
import { meta } from "../lib/meta.js";

/** @typedef {import("../types.d.ts").KnowledgeListItem} KnowledgeListItem */

/** @type {Record<string, (item: KnowledgeListItem) => boolean>} */
const SHOW = {
  all: () => true,
  due: (e) => e.reviewDue,
  empty: (e) => e.emptySpecifics > 0,
  unanswered: (e) => e.unanswered > 0,
  unhelpful: (e) => e.feedback.unhelpful > 0,
};

/** @type {import("../lib/view.js").Screen} */
export async function screenKnowledge(view, _arg, params) {
  const res = await listKnowledge();
  if (view.stale()) return;
  const show = Object.hasOwn(SHOW, params.get("show") ?? "") ? (params.get("show") ?? "all") : "all";
  const text = params.get("q") ?? "";
  const search = h("input", { name: "q", type: "search", value: text, placeholder: "标题、编号或分类", size: 20 });
  const filter = h(
    "select",
    { name: "show" },
    [
      ["all", "全部条目"],
      ["due", "需要复核"],
      ["empty", "有待填写的具体信息"],
      ["unanswered", "有相关未答问题"],
      ["unhelpful", "有“没用”反馈"],
    ].map(([value, label]) => h("option", { value, selected: value === show }, label)),
  );
  const newTitle = h("input", { name: "newTitle", size: 20, maxlength: 100, placeholder: "例如 加班费" });
  const startButton = h("button", { type: "submit", class: "secondary" }, "起草新条目");
  const needle = text.trim().toLowerCase();
  const items = res.items
    .filter((e) => (SHOW[show] ? SHOW[show](e) : true))
    .filter((e) => !needle || `${e.title} ${e.id} ${e.category}`.toLowerCase().includes(needle));
  const due = res.items.filter((e) => e.reviewDue && !e.draft).length;
  const empty = res.items.reduce((n, e) => n + e.emptySpecifics, 0);
  const reviewDays = meta().knowledgeReviewDays;
  main().replaceChildren(
    h("h1", {}, "知识库"),
    h(
      "p",
      { class: "muted small" },
      `共 ${res.items.filter((e) => !e.draft).length} 条；${due} 条需要复核`,
      reviewDays ? `（超过 ${reviewDays} 天未复核）` : "",
      `；${empty} 项具体信息待填写。发布后立即对居民生效。`,
    ),
    h(
      "form",
      {
        class: "filters",
        onsubmit: (e) => {
          e.preventDefault();
          const q = new URLSearchParams({ show: filter.value, q: search.value.trim() });
          location.hash = `#/knowledge?${q}`;
        },
      },
      h("label", {}, "查找", search),
      h("label", {}, "显示", filter),
      h("button", { type: "submit" }, "筛选"),
    ),
    h(
      "form",
      {
        class: "filters",
        onsubmit: (e) => {
          e.preventDefault();
          const title = newTitle.value.trim();
          if (!title) return;
          act(startButton, async () => {
            const draft = await startDraft({ title });
            location.hash = `#/draft/${encodeURIComponent(draft.id)}`;
          });
        },
      },
      h("label", {}, "新条目标题", newTitle),
      startButton,
    ),
    items.length
      ? table(
          ["条目", "分类", "版本", "复核日期", "待填写", "反馈（有用/没用）", "未答问题"],
          items.map((e) =>
            e.draft
              ? h(
                  "tr",
                  { dataset: { draft: e.id } },
                  h(
                    "td",
                    {},
                    h("a", { href: `#/draft/${encodeURIComponent(e.id)}` }, e.title),
                    " ",
                    h("span", { class: "status pending" }, "草稿，未发布"),
                    h("div", { class: "muted small" }, e.id),
                  ),
                  h("td", {}, e.category || "—"),
                  h("td", { colspan: 5, class: "muted small" }, "新条目的草稿：居民问不到，发布后才生效。"),
                )
              : h(
                  "tr",
                  {
                    class: "clickable",
                    dataset: { entry: e.id },
                    onclick: () => {
                      location.hash = `#/knowledge/${encodeURIComponent(e.id)}`;
                    },
                  },
                  h(
                    "td",
                    {},
                    h("a", { href: `#/knowledge/${encodeURIComponent(e.id)}` }, e.title),
                    h("div", { class: "muted small" }, e.id),
                  ),
                  h("td", {}, e.category),
                  h("td", {}, e.version),
                  h("td", {}, e.reviewedAt || "—", " ", e.reviewDue ? h("span", { class: "status warn" }, "需复核") : null),
                  h("td", {}, e.specifics ? `${e.emptySpecifics} / ${e.specifics} 项` : "—"),
                  h("td", {}, `${e.feedback.helpful} / ${e.feedback.unhelpful}`),
                  h("td", {}, e.unanswered || "—"),
                ),
          ),
        )
      : h("p", { class: "muted" }, "没有符合条件的条目。"),
  );
}
