// @ts-check
// One catalogue entry (editors and admins): edit its texts, examples and staff-maintained
// specifics; preview what a resident would be answered; publish (a new version, live at once);
// the versions with a line diff each, and restoring one. The server validates every change (the
// same rules as a file, each specific by its kind) and its messages are shown next to the field.
// Leaving with changes not yet published (another screen or entry, sign-out, the tab) asks first.
import { act, ApiError } from "../lib/api.js";
import { getEntry, listVersions, markReviewed, previewEntry, publishEntry, rollbackEntry } from "../lib/client.js";
import { diffLines, toLines } from "../lib/diff.js";
import { fmtTime, h, main, toast } from "../lib/dom.js";
import { labels } from "../lib/meta.js";
import { go } from "../lib/view.js";

/** @import * as T from "../types.d.ts" */

/** Names of an entry's own fields, as the editor labels them. */
const FIELD_LABELS = /** @type {Record<string, string>} */ ({
  title: "标题",
  category: "分类",
  summary: "概述（一般回答）",
  nextStep: "下一步",
  examples: "示例问题",
  addExamples: "新示例问题",
  removeExamples: "删除的示例问题",
  keywords: "关键词",
  related: "相关条目",
  body: "正文（说明与出处）",
  reviewedAt: "复核日期",
  national: "国家规定",
  seedItems: "工作计划条目",
  sensitive: "敏感类别",
});

/** Input types that let the browser help with a kind (the server still decides). */
const INPUT_TYPES = /** @type {Record<string, string>} */ ({ phone: "tel", url: "url" });

/** A comma- or 、-separated list as typed into one input. @param {string} text */
const splitList = (text) =>
  text
    .split(/[,，、\n]/)
    .map((x) => x.trim())
    .filter(Boolean);

/** @param {unknown} a @param {unknown} b */
const sameList = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** @param {number | string} at */
const fmtAt = (at) => fmtTime(typeof at === "number" ? at : Date.parse(at));

/**
 * A field of a version's change list in words: `parts.where.text` → 在哪里办, `configurable.hotline.value` → its label.
 * @param {string} field
 * @param {T.KnowledgeEntry} entry
 */
function fieldName(field, entry) {
  const [head = "", key = "", sub] = field.split(".");
  if (head === "parts") return `${labels.partKeys[key] ?? key}${sub && sub !== "text" ? `（${sub}）` : ""}`;
  if (head === "configurable") {
    const spec = entry.configurable[key];
    const what = spec ? spec.label : key;
    return sub && sub !== "value" ? `${what}（${sub}）` : what;
  }
  return FIELD_LABELS[head] ?? field;
}

/**
 * The diff of one changed field, line by line.
 * @param {{ field: string, before: unknown, after: unknown }} change
 */
function diffView(change) {
  const lines = diffLines(toLines(change.before), toLines(change.after));
  return h(
    "pre",
    { class: "diff" },
    lines.map((l) => h("span", { class: `diff-${l.op}` }, `${l.op === "add" ? "+ " : l.op === "del" ? "− " : "  "}${l.line}\n`)),
  );
}

/** @type {import("../lib/view.js").Screen} */
export async function screenEntry(view, id) {
  if (!id) throw new ApiError(404, "not_found", "没有这个知识条目。");
  const [entry, history] = await Promise.all([getEntry(id), listVersions(id)]);
  if (view.stale()) return;

  /** Where the server's messages about a field go: field name → its message slot. */
  /** @type {Map<string, HTMLElement>} */
  const slots = new Map();
  const generalErrors = h("div", { role: "alert" });
  /** @param {string} field */
  const slot = (field) => {
    const el = h("p", { class: "error small field-error", dataset: { field } });
    slots.set(field, el);
    return el;
  };

  // ------------------------------------------------------------ the form
  const title = h("input", { name: "title", value: entry.title, size: 40, maxlength: 100 });
  const summary = h("textarea", { name: "summary", rows: 4 }, entry.summary);
  const nextStep = h("textarea", { name: "nextStep", rows: 2 }, entry.nextStep);

  // Parts in answer order (from /meta); parts the entry does not have yet can be added.
  const partOrder = [...new Set([...Object.keys(labels.partKeys), ...Object.keys(entry.parts)])];
  /** @type {Map<string, HTMLTextAreaElement>} */
  const partInputs = new Map();
  /** @param {string} key */
  const partField = (key) => {
    const input = h("textarea", { name: `parts.${key}`, rows: 3 }, entry.parts[key]?.text ?? "");
    partInputs.set(key, input);
    return h(
      "label",
      { class: "field" },
      h("span", {}, labels.partKeys[key] ?? key, h("span", { class: "muted small" }, ` ${key}`)),
      input,
      slot(`parts.${key}`),
    );
  };
  const present = partOrder.filter((k) => entry.parts[k]);
  const absent = partOrder.filter((k) => !entry.parts[k]);

  /** @type {Map<string, HTMLInputElement>} */
  const specificInputs = new Map();
  const specifics = Object.entries(entry.configurable).map(([key, spec]) => {
    const kind = labels.configurableKinds[spec.kind] ?? spec.kind;
    const input = h("input", {
      name: `configurable.${key}`,
      type: INPUT_TYPES[spec.kind] ?? "text",
      value: spec.value ?? "",
      placeholder: "未填写：居民看不到这一项",
      size: 40,
      maxlength: 2000,
      dataset: { kind: spec.kind },
      "aria-label": `${spec.label}（${kind}）`,
    });
    specificInputs.set(key, input);
    return h(
      "label",
      { class: "field" },
      h("span", {}, spec.label, h("span", { class: "muted small" }, `（${kind}） ${key}`)),
      input,
      slot(`configurable.${key}`),
    );
  });

  /** Examples marked for removal. @type {Set<string>} */
  const removed = new Set();
  const examples = h(
    "ul",
    { class: "examples" },
    entry.examples.map((ex) => {
      const item = h("li", {}, h("span", {}, ex), " ");
      const toggle = h(
        "button",
        {
          type: "button",
          class: "link",
          "aria-label": `删除示例：${ex}`,
          onclick: () => {
            if (removed.has(ex)) removed.delete(ex);
            else removed.add(ex);
            item.classList.toggle("removed", removed.has(ex));
            toggle.textContent = removed.has(ex) ? "撤销删除" : "删除";
          },
        },
        "删除",
      );
      item.append(toggle);
      return item;
    }),
  );
  const newExamples = h("textarea", {
    name: "addExamples",
    rows: 2,
    placeholder: "每行一个新的示例问题，按居民的说法写",
  });
  const keywords = h("input", { name: "keywords", value: entry.keywords.join("、"), size: 60 });
  const related = h("input", { name: "related", value: entry.related.join("、"), size: 60 });
  const body = h("textarea", { name: "body", rows: 10 }, entry.body);

  /** What the form changes, compared with the entry as loaded (only changed fields). */
  const changes = () => {
    /** @type {T.KnowledgeChanges} */
    const c = {};
    if (title.value.trim() !== entry.title) c.title = title.value;
    if (summary.value.trim() !== entry.summary) c.summary = summary.value;
    if (nextStep.value.trim() !== entry.nextStep) c.nextStep = nextStep.value;
    if (body.value.trim() !== entry.body.trim()) c.body = body.value;
    /** @type {Record<string, { text: string } | null>} */
    const parts = {};
    for (const [key, input] of partInputs) {
      const text = input.value.trim();
      const before = entry.parts[key]?.text ?? "";
      if (text === before.trim()) continue;
      parts[key] = text ? { text } : null;
    }
    if (Object.keys(parts).length) c.parts = parts;
    /** @type {Record<string, string | null>} */
    const configurable = {};
    for (const [key, input] of specificInputs) {
      const value = input.value.trim();
      if (value !== (entry.configurable[key]?.value ?? "")) configurable[key] = value || null;
    }
    if (Object.keys(configurable).length) c.configurable = configurable;
    const added = newExamples.value
      .split("\n")
      .map((x) => x.trim())
      .filter((x) => x && !entry.examples.includes(x));
    if (added.length) c.addExamples = added;
    if (removed.size) c.removeExamples = [...removed];
    const kw = splitList(keywords.value);
    if (!sameList(kw, entry.keywords)) c.keywords = kw;
    const rel = splitList(related.value);
    if (!sameList(rel, entry.related)) c.related = rel;
    return c;
  };

  // Edits not yet published are lost when the screen is left (another screen or entry, sign-out,
  // closing the tab): ask first. Not once published (or replaced by a restored version).
  let settled = false;
  view.guard(() =>
    !settled && Object.keys(changes()).length ? `“${entry.title}”有尚未发布的修改，离开后这些修改会丢失。确定要离开吗？` : null,
  );

  /** Clears the messages of the last check. */
  const clearErrors = () => {
    for (const el of slots.values()) el.textContent = "";
    generalErrors.replaceChildren();
  };

  /**
   * Shows a refused change: each problem (`configurable.hotline (phone): 本地欠薪投诉电话：电话格式不对…`)
   * next to its field, the rest above the buttons.
   * @param {ApiError} err
   */
  const showProblems = (err) => {
    clearErrors();
    const rest = [];
    for (const problem of err.message.split(/;\s+/)) {
      const m = /^([A-Za-z]+(?:\.[A-Za-z0-9]+)?)(?:\.[A-Za-z0-9]+)*(?:\s*\(([a-z]+)\))?\s*:\s*([\s\S]*)$/.exec(problem);
      const field = m?.[1] ?? "";
      const target =
        slots.get(field) ??
        (field.startsWith("addExamples") || field.startsWith("removeExamples") || field === "examples"
          ? slots.get("examples")
          : undefined);
      if (m && target) {
        // A specific refused for its kind comes in plain Chinese that already names it and gives
        // an example (`本地欠薪投诉电话：电话格式不对，请填写如 …`); other fields are named here.
        const ownWords = field.startsWith("configurable.") && Boolean(m[2]);
        const kind = m[2] ? (labels.configurableKinds[m[2]] ?? m[2]) : "";
        target.textContent = ownWords ? (m[3] ?? "") : `${fieldName(field, entry)}${kind ? `（应为${kind}）` : ""}：${m[3]}`;
      } else rest.push(problem);
    }
    if (rest.length) generalErrors.append(h("p", { class: "error" }, `无法发布：${rest.join("；")}`));
    const first = [...slots.values()].find((el) => el.textContent);
    first?.scrollIntoView({ block: "center" });
  };

  // ------------------------------------------------------------ preview
  const question = h("input", {
    name: "previewQuestion",
    size: 30,
    value: entry.examples[0] ?? entry.title,
    "aria-label": "居民的问题",
  });
  const withChanges = h("input", { type: "checkbox", name: "withChanges", checked: true });
  const previewOut = h("div", { class: "preview", "aria-live": "polite", "aria-label": "预览回答" });
  const previewButton = h("button", { type: "submit", class: "secondary" }, "预览回答");
  const preview = h(
    "form",
    {
      class: "panel sticky",
      onsubmit: (e) => {
        e.preventDefault();
        const q = question.value.trim();
        if (!q) return;
        act(previewButton, async () => {
          const c = withChanges.checked ? changes() : {};
          try {
            const res = await previewEntry(id, q, Object.keys(c).length ? c : undefined);
            clearErrors();
            previewOut.replaceChildren(
              h(
                "p",
                { class: "muted small" },
                Object.keys(c).length ? "按你尚未发布的修改，居民会收到：" : "按已发布的内容，居民会收到：",
              ),
              ...res.replies.map((r) =>
                h(
                  "div",
                  { class: "msg bot preview-reply" },
                  h("div", { class: "pre" }, r.text),
                  r.sources?.length ? h("span", { class: "meta" }, `出处：${r.sources.map((s) => s.title).join("、")}`) : null,
                  r.choices?.length ? h("span", { class: "meta" }, `按钮：${r.choices.join(" | ")}`) : null,
                ),
              ),
            );
          } catch (err) {
            if (err instanceof ApiError && err.status === 400) {
              showProblems(err);
              previewOut.replaceChildren(h("p", { class: "error" }, "修改有误，无法预览：请按提示改正。"));
              return;
            }
            throw err;
          }
        });
      },
    },
    h("h2", {}, "预览居民收到的回答"),
    h("label", { class: "block" }, question),
    h("label", { class: "small" }, withChanges, " 包含尚未发布的修改"),
    h("div", { class: "actions" }, previewButton),
    previewOut,
  );

  // ------------------------------------------------------------ publish and review
  const stale = h("div", {});
  const publishButton = h("button", { type: "submit" }, "发布");
  const publish = async () => {
    const c = changes();
    if (!Object.keys(c).length) {
      toast("没有修改，无需发布。");
      return;
    }
    try {
      const res = await publishEntry(id, entry.version, c);
      settled = true;
      toast(`已发布第 ${res.version} 版，居民现在问到就会看到。`);
      go(location.hash);
    } catch (err) {
      if (err instanceof ApiError && err.code === "stale_version") {
        clearErrors();
        stale.replaceChildren(
          h(
            "div",
            { class: "panel warning", role: "alert" },
            h("strong", {}, "发布被拒绝：这条内容已被其他人修改。"),
            h(
              "p",
              {},
              `你是在第 ${entry.version} 版的基础上编辑的，在你编辑期间已有同事发布了新版本。你的修改还在表单里，没有发布。请载入最新版本，对照后再改。`,
            ),
            h("div", { class: "actions" }, h("button", { type: "button", onclick: () => go(location.hash) }, "载入最新版本")),
          ),
        );
        stale.scrollIntoView({ block: "center" });
        return;
      }
      if (err instanceof ApiError && err.status === 400) {
        showProblems(err);
        toast("有内容不符合要求，未发布。", true);
        return;
      }
      throw err;
    }
  };
  const reviewedButton = h(
    "button",
    {
      type: "button",
      class: "secondary",
      onclick: (e) =>
        act(e.currentTarget, async () => {
          const res = await markReviewed(id, entry.version);
          toast(`已标记为复核（第 ${res.version} 版）。`);
          go(location.hash);
        }),
    },
    "内容无误，标记为已复核",
  );

  const form = h(
    "form",
    {
      class: "entry-form",
      novalidate: true,
      onsubmit: (e) => {
        e.preventDefault();
        act(publishButton, publish);
      },
    },
    h(
      "section",
      { class: "panel" },
      h("h2", {}, "需工作人员填写的具体信息"),
      specifics.length
        ? [h("p", { class: "muted small" }, "留空的项居民看不到；填写后按类型检查（电话、网址、地址、办公时间）。"), specifics]
        : h("p", { class: "muted small" }, "这条没有需要填写的具体信息。"),
    ),
    h(
      "section",
      { class: "panel" },
      h("h2", {}, "回答内容"),
      h("label", { class: "field" }, h("span", {}, FIELD_LABELS.title), title, slot("title")),
      h("label", { class: "field" }, h("span", {}, FIELD_LABELS.summary), summary, slot("summary")),
      h("label", { class: "field" }, h("span", {}, FIELD_LABELS.nextStep), nextStep, slot("nextStep")),
      present.map(partField),
      absent.length ? h("details", {}, h("summary", {}, "添加其他部分"), absent.map(partField)) : null,
    ),
    h(
      "section",
      { class: "panel" },
      h("h2", {}, "示例问题"),
      h("p", { class: "muted small" }, "居民的这些说法会找到这条；发布后立即生效。"),
      examples,
      h("label", { class: "field" }, h("span", {}, "新增示例"), newExamples),
      slot("examples"),
      h("label", { class: "field" }, h("span", {}, "关键词（用顿号分隔）"), keywords, slot("keywords")),
      h("label", { class: "field" }, h("span", {}, "相关条目编号（用顿号分隔）"), related, slot("related")),
    ),
    h(
      "details",
      { class: "panel" },
      h("summary", {}, "正文（说明与出处，居民看不到）"),
      h("label", { class: "field" }, body),
      slot("body"),
    ),
    generalErrors,
    h("div", { class: "actions" }, publishButton, reviewedButton),
  );

  // ------------------------------------------------------------ versions
  const versions = h(
    "section",
    { class: "panel versions" },
    h("h2", {}, "历史版本"),
    history.items.length
      ? history.items.map((v, i) =>
          h(
            "div",
            { class: "version", dataset: { version: String(v.version) } },
            h(
              "h3",
              {},
              `第 ${v.version} 版`,
              h("span", { class: "muted small" }, ` ${v.by ?? "导入"} · ${fmtAt(v.at)}`),
              i === 0 ? h("span", { class: "status bot" }, "当前") : null,
            ),
            v.changes.length
              ? v.changes.map((c) =>
                  h("div", { class: "change" }, h("strong", { class: "small" }, fieldName(c.field, entry)), diffView(c)),
                )
              : h("p", { class: "muted small" }, i === history.items.length - 1 ? "首个版本。" : "内容没有变化。"),
            i === 0
              ? null
              : h(
                  "button",
                  {
                    type: "button",
                    class: "secondary",
                    onclick: (e) =>
                      act(e.currentTarget, async () => {
                        const unpublished = Object.keys(changes()).length ? "表单里尚未发布的修改会丢失。" : "";
                        if (!confirm(`恢复到第 ${v.version} 版？会发布一个与第 ${v.version} 版内容相同的新版本。${unpublished}`))
                          return;
                        const res = await rollbackEntry(id, v.version);
                        settled = true;
                        toast(`已恢复：现为第 ${res.version} 版。`);
                        go(location.hash);
                      }),
                  },
                  `恢复到第 ${v.version} 版`,
                ),
          ),
        )
      : h("p", { class: "muted" }, "还没有版本记录。"),
  );

  main().replaceChildren(
    h("p", {}, h("a", { href: "#/knowledge" }, "← 返回知识库")),
    h("h1", {}, `编辑：${entry.title}`),
    h(
      "p",
      { class: "muted small" },
      `${entry.id} · ${entry.category} · 第 ${entry.version} 版 · 复核于 ${entry.reviewedAt || "—"}`,
    ),
    stale,
    h("div", { class: "row" }, h("div", { class: "grow" }, form), h("div", { class: "side" }, preview)),
    versions,
  );
}
