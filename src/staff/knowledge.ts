/**
 * The knowledge editor's actions: read the published catalogue, publish a change (a version, an
 * audit row, every instance rebuilt), roll back, preview, drafts of new entries, and turning
 * unanswered questions into examples. Checks and wording live in src/knowledge (edit.ts,
 * content.ts); every write goes through the store as effects, in one transaction.
 */
import { randomUUID } from "node:crypto";
import type { AppContext } from "../context.ts";
import { ConflictError } from "../data/errors.ts";
import type { StoredEntry } from "../data/knowledge.ts";
import type { Effect, KnowledgeAction } from "../domain/effects.ts";
import type { Reply } from "../domain/types.ts";
import { errors } from "../http/errors.ts";
import { contentOf, diffContent, type EntryContent, type FieldChange, stableJson } from "../knowledge/content.ts";
import {
  applyChanges,
  checkEntry,
  contentFromBody,
  type EntryBody,
  type EntryChanges,
  EntryChangeError,
  entryBody,
} from "../knowledge/edit.ts";
import { buildCatalogue } from "../knowledge/index.ts";
import { localDate } from "../lib/local-time.ts";
import { redactPersonalData } from "../lib/text.ts";
import type { StaffPrincipal } from "./auth.ts";

const DAY_MS = 86_400_000;

/** Today's local date (YYYY-MM-DD): what publishing writes as the entry's review date. */
export const todayOf = (ctx: AppContext): string => localDate(ctx.clock.now(), ctx.config.TZ);

/** True when an entry reviewed on `reviewedAt` is due for review again (KNOWLEDGE_REVIEW_DAYS). */
export function isReviewDue(reviewedAt: string, today: string, days: number): boolean {
  const reviewed = Date.parse(`${reviewedAt}T00:00:00Z`);
  if (Number.isNaN(reviewed)) return true;
  return Date.parse(`${today}T00:00:00Z`) - reviewed > days * DAY_MS;
}

function parseContent(row: { content: string }): EntryContent {
  return JSON.parse(row.content) as EntryContent;
}

/** The published entry, or 404. */
export async function publishedEntry(ctx: AppContext, id: string): Promise<{ row: StoredEntry; content: EntryContent }> {
  const row = await ctx.store.knowledge.get(id);
  if (!row) throw errors.notFound("没有这个知识条目。");
  return { row, content: parseContent(row) };
}

/** The API's view of a published entry (GET /knowledge/:id). */
export function entryView(row: StoredEntry, content: EntryContent) {
  return { ...entryBody(contentOf(content)), version: row.version };
}

/** A refused change as the API says it: 400 naming each field (and a specific's kind). */
function refused(err: EntryChangeError) {
  return errors.badRequest(err.problems.join("; "), "invalid_entry");
}

/** Applies `changes` to the published content, or throws 400 naming the fields at fault. */
export function changedContent(ctx: AppContext, current: EntryContent, changes: EntryChanges): EntryContent {
  try {
    return applyChanges(current, changes, todayOf(ctx));
  } catch (err) {
    if (err instanceof EntryChangeError) throw refused(err);
    throw err;
  }
}

/** Validates like a file and against the rest of the published catalogue; 400 otherwise. */
function checked(ctx: AppContext, content: EntryContent) {
  try {
    return checkEntry(content, ctx.catalogue.entries, ctx.knowledge.national);
  } catch (err) {
    if (err instanceof EntryChangeError) throw refused(err);
    throw err;
  }
}

/** The field names of a change, for the audit row (names only: the values are in the version). */
const changedFields = (changes: readonly FieldChange[]) => {
  const names = changes.map((c) => c.field).join(", ");
  return names.length > 500 ? `${names.slice(0, 497)}…` : names || "(no change)";
};

/**
 * Publishes a new version of an entry (or a new entry, `ifVersion` null) with the other writes
 * of the same action, in one transaction; then rebuilds this instance's catalogue and tells the
 * others before returning, so the next resident anywhere is answered from it.
 */
export async function publish(
  ctx: AppContext,
  staff: StaffPrincipal,
  p: {
    id: string;
    ifVersion: number | null;
    before: EntryContent | null;
    after: EntryContent;
    action: KnowledgeAction;
    audit: string;
    effects?: Effect[];
  },
): Promise<{ id: string; version: number }> {
  const entry = checked(ctx, p.after);
  const content = contentOf(entry);
  const changes = diffContent(p.before ? contentOf(p.before) : null, content);
  const effects: Effect[] = [
    {
      type: "knowledge.publish",
      entryId: p.id,
      ifVersion: p.ifVersion,
      content: stableJson(content),
      action: p.action,
      changes: JSON.stringify(changes),
      source: "staff",
      staffUserId: staff.id,
      username: staff.username,
    },
    ...(p.effects ?? []),
    {
      type: "audit.record",
      entry: {
        staffUserId: staff.id,
        username: staff.username,
        action: p.audit,
        targetType: "knowledge",
        targetId: p.id,
        detail: p.before ? changedFields(changes) : "new entry",
      },
    },
  ];
  try {
    await ctx.store.apply(effects, ctx.clock.now());
  } catch (err) {
    if (err instanceof ConflictError) {
      throw p.ifVersion === null
        ? errors.conflict("已经有这个编号的知识条目了。", "entry_exists")
        : errors.conflict("这个条目刚被别人改过了，请刷新后在最新版本上修改。", "stale_version");
    }
    throw err;
  }
  await ctx.knowledge.published();
  return { id: p.id, version: (p.ifVersion ?? 0) + 1 };
}

/** 409 stale_version unless the edit was made on the version published now. */
export function checkBase(row: StoredEntry, baseVersion: number): void {
  if (row.version !== baseVersion) {
    throw errors.conflict(
      `这个条目已经更新到第 ${row.version} 版（您编辑的是第 ${baseVersion} 版），请刷新后在最新版本上修改。`,
      "stale_version",
    );
  }
}

export async function editEntry(
  ctx: AppContext,
  staff: StaffPrincipal,
  id: string,
  baseVersion: number,
  changes: EntryChanges,
): Promise<{ id: string; version: number }> {
  const { row, content } = await publishedEntry(ctx, id);
  checkBase(row, baseVersion);
  const after = changedContent(ctx, content, changes);
  return publish(ctx, staff, {
    id,
    ifVersion: row.version,
    before: content,
    after,
    action: "publish",
    audit: "knowledge.publish",
  });
}

/** Marks an entry reviewed today without other changes (a version too). */
export async function markReviewed(ctx: AppContext, staff: StaffPrincipal, id: string, baseVersion: number) {
  const { row, content } = await publishedEntry(ctx, id);
  checkBase(row, baseVersion);
  const after = { ...contentOf(content), lastReviewed: todayOf(ctx) };
  return publish(ctx, staff, {
    id,
    ifVersion: row.version,
    before: content,
    after,
    action: "reviewed",
    audit: "knowledge.reviewed",
  });
}

/** A new version equal to version `version` (reviewed today: staff just looked at it). */
export async function rollback(ctx: AppContext, staff: StaffPrincipal, id: string, version: number) {
  const { row, content } = await publishedEntry(ctx, id);
  const old = await ctx.store.knowledge.version(id, version);
  if (!old) throw errors.notFound(`这个条目没有第 ${version} 版。`);
  const after = { ...parseContent(old), lastReviewed: todayOf(ctx) };
  return publish(ctx, staff, {
    id,
    ifVersion: row.version,
    before: content,
    after,
    action: "rollback",
    audit: "knowledge.rollback",
  });
}

/** Publishes a new entry from its full body (optionally the draft it was written in, which goes). */
export async function createEntry(ctx: AppContext, staff: StaffPrincipal, body: EntryBody, draftId?: string) {
  if (await ctx.store.knowledge.get(body.id)) throw errors.conflict("已经有这个编号的知识条目了。", "entry_exists");
  const after = contentFromBody(body, todayOf(ctx));
  return publish(ctx, staff, {
    id: body.id,
    ifVersion: null,
    before: null,
    after,
    action: "create",
    audit: "knowledge.create",
    effects: draftId ? [{ type: "knowledge.deleteDraft", draftId }] : [],
  });
}

export async function versions(ctx: AppContext, id: string) {
  await publishedEntry(ctx, id);
  const rows = await ctx.store.knowledge.versions(id);
  return rows.map((v) => ({
    version: v.version,
    action: v.action,
    by: v.username,
    at: v.createdAt,
    changes: JSON.parse(v.changes) as FieldChange[],
  }));
}

/**
 * What a resident asking `question` would be answered: with the entry as published, or as it
 * would be after `changes` (the catalogue rebuilt in memory with it; nothing stored).
 */
export async function preview(
  ctx: AppContext,
  id: string,
  input: { question: string; changes?: EntryChanges | undefined; topic?: string | undefined },
): Promise<Reply[]> {
  const { content } = await publishedEntry(ctx, id);
  if (input.topic && !ctx.catalogue.get(input.topic)) throw errors.badRequest(`topic: no entry ${input.topic}`, "invalid_topic");
  let catalogue = ctx.catalogue;
  if (input.changes) {
    const entry = checked(ctx, changedContent(ctx, content, input.changes));
    catalogue = buildCatalogue(
      ctx.catalogue.entries.map((e) => (e.id === id ? entry : e)),
      [...ctx.catalogue.national.values()],
    );
  }
  return ctx.preview(catalogue, input.question, input.topic);
}

/** The catalogue list: review due, empty specifics, feedback, open unanswered questions pointing at each entry. */
export async function listEntries(ctx: AppContext) {
  const [rows, feedback, open, drafts] = await Promise.all([
    ctx.store.knowledge.all(),
    ctx.store.insights.feedbackByEntry(),
    ctx.store.insights.listUnanswered(500, "open"),
    ctx.store.knowledge.drafts(),
  ]);
  const today = todayOf(ctx);
  const fb = new Map(feedback.map((f) => [f.entryId, f]));
  const pointing = new Map<string, number>();
  for (const q of open) {
    const s = suggestionFor(ctx, q.sample);
    if (s) pointing.set(s.entryId, (pointing.get(s.entryId) ?? 0) + 1);
  }
  const items = rows.map((row) => {
    const c = parseContent(row);
    const specifics = Object.values(c.configurable ?? {});
    return {
      id: row.id,
      title: c.title,
      category: c.category,
      version: row.version,
      reviewedAt: c.lastReviewed,
      reviewDue: isReviewDue(c.lastReviewed, today, ctx.config.KNOWLEDGE_REVIEW_DAYS),
      emptySpecifics: specifics.filter((f) => !f.value).length,
      specifics: specifics.length,
      feedback: { helpful: fb.get(row.id)?.helpful ?? 0, unhelpful: fb.get(row.id)?.unhelpful ?? 0 },
      unanswered: pointing.get(row.id) ?? 0,
      draft: false,
    };
  });
  // Drafts of new entries are listed too (never answered from): id is the draft's id.
  for (const d of drafts) {
    items.push({
      id: d.id,
      title: d.title,
      category: "",
      version: 0,
      reviewedAt: "",
      reviewDue: false,
      emptySpecifics: 0,
      specifics: 0,
      feedback: { helpful: 0, unhelpful: 0 },
      unanswered: 0,
      draft: true,
    });
  }
  return items;
}

/** The entry closest to a question, if any (what the unanswered list suggests attaching it to). */
export function suggestionFor(ctx: AppContext, sample: string): { entryId: string; title: string } | undefined {
  const hit = ctx.catalogue.search(sample, 1)[0];
  return hit && hit.score > 0 ? { entryId: hit.entry.id, title: hit.entry.title } : undefined;
}

// --- drafts of new entries

export function draftView(d: {
  id: string;
  entryId: string | null;
  title: string;
  content: string;
  fromQuestionId: string | null;
  createdBy: string | null;
  createdAt: number;
  updatedAt: number;
}) {
  let content: Record<string, unknown> = {};
  try {
    content = JSON.parse(d.content) as Record<string, unknown>;
  } catch {
    // A draft is only ever written by this code; unreadable content starts empty rather than failing the list.
  }
  return { ...d, content };
}

export async function startDraft(
  ctx: AppContext,
  staff: StaffPrincipal,
  input: { id?: string | undefined; title: string; fromQuestion?: string | undefined },
  extra: Effect[] = [],
) {
  let examples: string[] = [];
  if (input.fromQuestion) {
    const q = await ctx.store.insights.unanswered(input.fromQuestion);
    if (!q) throw errors.notFound("没有这个未答问题。");
    examples = [redactPersonalData(q.sample)];
  }
  const draftId = randomUUID();
  const entryId = input.id?.trim() || null;
  const content = { ...(entryId ? { id: entryId } : {}), title: input.title.trim(), examples };
  await ctx.store.apply(
    [
      {
        type: "knowledge.saveDraft",
        draft: {
          id: draftId,
          entryId,
          title: input.title.trim(),
          content: JSON.stringify(content),
          fromQuestionId: input.fromQuestion ?? null,
          createdBy: staff.username,
        },
      },
      ...extra,
      {
        type: "audit.record",
        entry: {
          staffUserId: staff.id,
          username: staff.username,
          action: "knowledge.draft",
          targetType: "draft",
          targetId: draftId,
        },
      },
    ],
    ctx.clock.now(),
  );
  const saved = await ctx.store.knowledge.draft(draftId);
  return draftView(saved!);
}

export async function saveDraft(
  ctx: AppContext,
  staff: StaffPrincipal,
  draftId: string,
  input: { title?: string | undefined; id?: string | null | undefined; content?: Record<string, unknown> | undefined },
) {
  const d = await ctx.store.knowledge.draft(draftId);
  if (!d) throw errors.notFound("没有这份草稿。");
  const title = input.title?.trim() || d.title;
  const entryId = input.id === undefined ? d.entryId : input.id?.trim() || null;
  const content = input.content ?? (JSON.parse(d.content) as Record<string, unknown>);
  await ctx.store.apply(
    [
      {
        type: "knowledge.saveDraft",
        draft: {
          id: d.id,
          entryId,
          title,
          content: JSON.stringify(content),
          fromQuestionId: d.fromQuestionId,
          createdBy: d.createdBy,
        },
      },
      {
        type: "audit.record",
        entry: {
          staffUserId: staff.id,
          username: staff.username,
          action: "knowledge.draft",
          targetType: "draft",
          targetId: d.id,
        },
      },
    ],
    ctx.clock.now(),
  );
  return draftView((await ctx.store.knowledge.draft(d.id))!);
}

export async function deleteDraft(ctx: AppContext, staff: StaffPrincipal, draftId: string): Promise<void> {
  const d = await ctx.store.knowledge.draft(draftId);
  if (!d) throw errors.notFound("没有这份草稿。");
  await ctx.store.apply(
    [
      { type: "knowledge.deleteDraft", draftId },
      {
        type: "audit.record",
        entry: {
          staffUserId: staff.id,
          username: staff.username,
          action: "knowledge.draft",
          targetType: "draft",
          targetId: draftId,
          detail: "deleted",
        },
      },
    ],
    ctx.clock.now(),
  );
}

// --- unanswered questions

async function openQuestion(ctx: AppContext, id: string) {
  const q = await ctx.store.insights.unanswered(id);
  if (!q) throw errors.notFound("没有这个未答问题。");
  if (q.handledAt !== null) throw errors.conflict("这个问题已经处理过了。", "already_handled");
  return q;
}

/**
 * The question becomes an example of the entry (a publish: version, audit) and leaves the list,
 * in one transaction; retrieval learns it at once in every instance.
 */
export async function attachQuestion(ctx: AppContext, staff: StaffPrincipal, questionId: string, entryId: string) {
  const q = await openQuestion(ctx, questionId);
  const { row, content } = await publishedEntry(ctx, entryId);
  const after = changedContent(ctx, content, { addExamples: [redactPersonalData(q.sample)] });
  return publish(ctx, staff, {
    id: entryId,
    ifVersion: row.version,
    before: content,
    after,
    action: "example",
    audit: "knowledge.example",
    effects: [{ type: "unanswered.handle", questionId, how: "example", entryId, by: staff.username }],
  });
}

export async function draftFromQuestion(ctx: AppContext, staff: StaffPrincipal, questionId: string) {
  const q = await openQuestion(ctx, questionId);
  const sample = redactPersonalData(q.sample);
  const title = [...sample].slice(0, 30).join("");
  return startDraft(ctx, staff, { title, fromQuestion: questionId }, [
    { type: "unanswered.handle", questionId, how: "draft", entryId: null, by: staff.username },
  ]);
}

export async function dismissQuestion(ctx: AppContext, staff: StaffPrincipal, questionId: string): Promise<void> {
  await openQuestion(ctx, questionId);
  await ctx.store.apply(
    [
      { type: "unanswered.handle", questionId, how: "dismissed", by: staff.username },
      {
        type: "audit.record",
        entry: {
          staffUserId: staff.id,
          username: staff.username,
          action: "unanswered.dismiss",
          targetType: "unanswered",
          targetId: questionId,
        },
      },
    ],
    ctx.clock.now(),
  );
}
