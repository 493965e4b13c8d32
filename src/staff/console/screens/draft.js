// @ts-check
// A draft of a new catalogue entry (editors and admins), started from an unanswered question or
// from the knowledge list: write its fields, save as often as needed (never answered from), then
// publish it as a new entry, validated like a file (the server's messages name each field).
// Parts and specifics are added in the entry editor once it is published.
import { act, ApiError } from "../lib/api.js";
import { createEntry, deleteDraft, getDraft, saveDraft } from "../lib/client.js";
import { h, main, toast } from "../lib/dom.js";
import { go } from "../lib/view.js";

/** @param {string} text one item a line (or separated by 、 and commas) */
const lines = (text) =>
  text
    .split(/\n|[,，、]/)
    .map((x) => x.trim())
    .filter(Boolean);

/** @param {unknown} v */
const str = (v) => (typeof v === "string" ? v : "");
/** @param {unknown} v @returns {unknown[]} */
const arr = (v) => (Array.isArray(v) ? v : []);

/** @type {import("../lib/view.js").Screen} */
export async function screenDraft(view, draftId) {
  if (!draftId) throw new ApiError(404, "not_found", "没有这份草稿。");
  const draft = await getDraft(draftId);
  if (view.stale()) return;
  const c = draft.content;

  const id = h("input", { name: "id", value: draft.entryId ?? str(c.id), size: 30, placeholder: "例如 labor.overtime" });
  const title = h("input", { name: "title", value: draft.title, size: 30, maxlength: 100 });
  const category = h("input", { name: "category", value: str(c.category), size: 20, maxlength: 50 });
  const summary = h("textarea", { name: "summary", rows: 4 }, str(c.summary));
  const nextStep = h("textarea", { name: "nextStep", rows: 2 }, str(c.nextStep));
  const examples = h("textarea", { name: "examples", rows: 5 }, arr(c.examples).map(String).join("\n"));
  const keywords = h("input", { name: "keywords", value: arr(c.keywords).join("、"), size: 50 });
  const related = h("input", { name: "related", value: arr(c.related).join("、"), size: 50 });
  const national = h("input", { name: "national", value: arr(c.national).join("、"), size: 50 });
  const seedItems = h("input", { name: "seedItems", value: arr(c.seedItems).join("、"), size: 20 });
  const body = h("textarea", { name: "body", rows: 6 }, str(c.body));
  const errors = h("div", { role: "alert" });

  /** The draft's content as written so far. */
  const content = () => ({
    id: id.value.trim(),
    title: title.value.trim(),
    category: category.value.trim(),
    summary: summary.value.trim(),
    nextStep: nextStep.value.trim(),
    // One a line: a resident's question may itself contain a comma.
    examples: examples.value
      .split("\n")
      .map((x) => x.trim())
      .filter(Boolean),
    keywords: lines(keywords.value),
    related: lines(related.value),
    national: lines(national.value),
    seedItems: lines(seedItems.value)
      .map(Number)
      .filter((n) => Number.isInteger(n)),
    body: body.value.trim(),
  });

  // What was last saved: leaving with anything else written asks first (another screen,
  // sign-out, closing the tab); not after 保存草稿, publishing or deleting the draft.
  let saved = JSON.stringify(content());
  let deleted = false;
  view.guard(() =>
    !deleted && JSON.stringify(content()) !== saved ? "这份草稿有尚未保存的修改，离开后这些修改会丢失。确定要离开吗？" : null,
  );

  const save = async () => {
    const written = content();
    await saveDraft(draftId, { title: written.title || draft.title, id: written.id || null, content: written });
    saved = JSON.stringify(written);
  };

  const field = (/** @type {string} */ label, /** @type {HTMLElement} */ input, /** @type {string} */ hint = "") =>
    h("label", { class: "field" }, h("span", {}, label, hint ? h("span", { class: "muted small" }, ` ${hint}`) : null), input);

  main().replaceChildren(
    h("p", {}, h("a", { href: "#/knowledge" }, "← 返回知识库")),
    h("h1", {}, `草稿：${draft.title}`),
    h(
      "p",
      { class: "muted small" },
      "草稿不会用来回答居民；发布后成为新条目，立即生效。电话、地址等具体信息和各部分内容可在发布后的编辑页补充。",
    ),
    h(
      "form",
      {
        class: "panel",
        novalidate: true,
        onsubmit: (e) => {
          e.preventDefault();
          const button = /** @type {HTMLButtonElement | null} */ (e.submitter);
          act(button, async () => {
            await save();
            toast("草稿已保存。");
          });
        },
      },
      field("条目编号", id, "小写英文，用点分隔，例如 labor.overtime"),
      field("标题", title),
      field("分类", category),
      field("概述（一般回答）", summary, "只写有依据的内容，并给出今天就能用的下一步"),
      field("下一步", nextStep),
      field("示例问题", examples, "每行一个，按居民的说法写"),
      field("关键词", keywords, "用顿号分隔"),
      field("相关条目编号", related, "用顿号分隔"),
      field("依据的国家规定编号", national, "用顿号分隔，例如 hotline.12333"),
      field("依据的工作计划条目", seedItems, "编号，用顿号分隔"),
      field("正文（说明与出处，居民看不到）", body),
      errors,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", class: "secondary" }, "保存草稿"),
        h(
          "button",
          {
            type: "button",
            onclick: (e) =>
              act(e.currentTarget, async () => {
                await save();
                const written = content();
                try {
                  const res = await createEntry(written, draftId);
                  toast(`已发布新条目“${written.title}”。`);
                  go(`#/knowledge/${encodeURIComponent(res.id)}`);
                } catch (err) {
                  if (err instanceof ApiError && (err.status === 400 || err.status === 409)) {
                    errors.replaceChildren(
                      h("p", { class: "error" }, "未发布：", err.message.split(/;\s+/).join("；"), "（草稿已保存）"),
                    );
                    return;
                  }
                  throw err;
                }
              }),
          },
          "发布为新条目",
        ),
        h(
          "button",
          {
            type: "button",
            class: "link",
            onclick: (e) =>
              act(e.currentTarget, async () => {
                if (!confirm("删除这份草稿？")) return;
                await deleteDraft(draftId);
                deleted = true;
                toast("草稿已删除。");
                go("#/knowledge");
              }),
          },
          "删除草稿",
        ),
      ),
    ),
  );
}
