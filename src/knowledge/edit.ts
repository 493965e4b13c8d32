/**
 * What staff may change in an entry from the console, and how a change is checked: the same
 * validation as a file (schema, wording rules, related entries and national facts), plus each
 * specific's kind. Pure: the staff routes apply the result through the store.
 */
import { z } from "zod";
import { redactPersonalData } from "../lib/text.ts";
import { contentOf, type EntryContent, entryFromContent, fieldProblems } from "./content.ts";
import { checkCatalogue } from "./load.ts";
import {
  configurableFieldSchema,
  configurableKinds,
  configurableValueSchemas,
  type Entry,
  type NationalFact,
  partKeys,
  sensitivities,
  specificProblem,
} from "./schema.ts";

const text = (max: number) => z.string().max(max);

/** A part's new text, or null to remove the part. */
const partChange = z.strictObject({ text: text(4_000) }).nullable();

/**
 * The changes of one edit (PATCH /knowledge/:id without baseVersion; also what a preview
 * applies). Every field is optional; an unknown one is refused.
 */
export const entryChangesShape = {
  configurable: z
    .record(z.string().max(64), z.string().max(2_000).nullable())
    .optional()
    .describe("New values of the entry's specifics by key; null or empty clears one"),
  addExamples: z.array(text(300)).max(200).optional(),
  removeExamples: z.array(text(300)).max(200).optional(),
  title: text(100).optional(),
  summary: text(4_000).optional(),
  nextStep: text(1_000).optional(),
  parts: z
    .strictObject(
      Object.fromEntries(partKeys.map((k) => [k, partChange.optional()])) as Record<string, z.ZodOptional<typeof partChange>>,
    )
    .optional()
    .describe("A part's new text, or null to remove it"),
  keywords: z.array(text(50)).max(100).optional(),
  related: z.array(text(100)).max(20).optional(),
  body: text(20_000).optional(),
};
export const entryChangesSchema = z.strictObject(entryChangesShape);
export type EntryChanges = z.infer<typeof entryChangesSchema>;

/** A whole entry as the API shows it (GET /knowledge/:id) and takes it for a new one (POST /knowledge). */
export const entryBodySchema = z.strictObject({
  id: z.string().max(100),
  title: text(100),
  category: text(50),
  summary: text(4_000),
  nextStep: text(1_000),
  national: z.array(text(100)).max(20).default([]),
  parts: z
    .record(
      z.string().max(20),
      z.strictObject({
        text: text(4_000),
        national: z.array(text(100)).max(20).default([]),
        uses: z.array(text(64)).max(20).default([]),
      }),
    )
    .default({}),
  related: z.array(text(100)).max(20).default([]),
  keywords: z.array(text(50)).max(100).default([]),
  examples: z.array(text(300)).max(200),
  configurable: z
    .record(
      z.string().max(64),
      z.strictObject({
        label: text(100),
        kind: z.enum(configurableKinds),
        value: z.string().max(2_000).nullable().default(null),
      }),
    )
    .default({}),
  sensitive: z.enum(sensitivities).optional(),
  reviewedAt: z.string().max(10).optional(),
  body: text(20_000).default(""),
  seedItems: z.array(z.number().int()).max(30),
});
export type EntryBody = z.infer<typeof entryBodySchema>;

/** The API's view of an entry (reviewedAt for the file's lastReviewed). */
export function entryBody(content: EntryContent) {
  const { lastReviewed, ...rest } = content;
  return { ...rest, reviewedAt: lastReviewed };
}

/** A refused edit: every problem, each naming the field (400). */
export class EntryChangeError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
    this.name = "EntryChangeError";
  }
}

/**
 * Applies staff's changes to an entry. Throws EntryChangeError naming each field at fault
 * (`configurable.hotline (phone): 本地欠薪投诉电话：电话格式不对，请填写如 …`); the result is not yet checked
 * against the rest of the catalogue (`checkEntry`).
 */
export function applyChanges(current: EntryContent, changes: EntryChanges, today: string): EntryContent {
  const next = contentOf(current);
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(changes.configurable ?? {})) {
    const field = next.configurable[key];
    if (!field) {
      const known = Object.keys(next.configurable);
      problems.push(
        `configurable.${key}：这个条目没有这一项具体信息${known.length ? `（它有：${known.join("、")}）` : "（它没有需要工作人员填写的具体信息）"}`,
      );
      continue;
    }
    const value = raw === null || raw.trim() === "" ? null : raw;
    if (value !== null) {
      const checked = configurableValueSchemas[field.kind].safeParse(value);
      if (!checked.success) {
        problems.push(specificProblem(key, field, checked.error.issues[0]?.message ?? "填写的内容不符合要求"));
        continue;
      }
      field.value = checked.data;
    } else field.value = null;
  }
  for (const key of ["title", "summary", "nextStep", "body"] as const) {
    const v = changes[key];
    if (v !== undefined) next[key] = v.trim();
  }
  if (changes.keywords) next.keywords = unique(changes.keywords.map((k) => k.trim()).filter(Boolean));
  if (changes.related) next.related = unique(changes.related.map((r) => r.trim()));
  for (const [key, change] of Object.entries(changes.parts ?? {})) {
    const k = key as (typeof partKeys)[number];
    if (change === undefined) continue;
    if (change === null) delete next.parts[k];
    else next.parts[k] = { text: change.text.trim(), national: next.parts[k]?.national ?? [], uses: next.parts[k]?.uses ?? [] };
  }
  if (changes.removeExamples) {
    for (const [i, ex] of changes.removeExamples.entries()) {
      const at = next.examples.indexOf(ex.trim());
      if (at < 0) problems.push(`removeExamples.${i}：“${ex}”不是这个条目的例句`);
      else next.examples.splice(at, 1);
    }
  }
  for (const ex of changes.addExamples ?? []) {
    // Examples are shown to staff and may be exported to git: personal numbers never stay in one.
    const clean = redactPersonalData(ex.trim());
    if (clean && !next.examples.includes(clean)) next.examples.push(clean);
  }
  if (problems.length) throw new EntryChangeError(problems);
  next.lastReviewed = today;
  return next;
}

/** A new entry from the API's full body (POST /knowledge), reviewed today. */
export function contentFromBody(body: EntryBody, today: string): EntryContent {
  const { reviewedAt: _r, body: text, ...rest } = body;
  return { ...(rest as unknown as EntryContent), lastReviewed: today, body: text };
}

/**
 * Validates an entry like a file, and together with the rest of the catalogue (related entries
 * and national facts must exist). Returns the Entry, or throws EntryChangeError.
 */
export function checkEntry(
  content: EntryContent,
  others: readonly Entry[],
  national: readonly NationalFact[],
  source = content.id,
): Entry {
  // The configurable schema is checked first so a wrong kind names the kind, as an edit does.
  const problems: string[] = [];
  for (const [key, field] of Object.entries(content.configurable ?? {})) {
    const parsed = configurableFieldSchema.safeParse(field);
    const spec = field as { label?: unknown; kind?: unknown };
    if (!parsed.success && typeof spec.kind === "string") {
      const issue = parsed.error.issues[0];
      // A refused value names the specific by its label, as an edit does.
      problems.push(
        issue?.path[0] === "value" && typeof spec.label === "string"
          ? specificProblem(key, { label: spec.label, kind: spec.kind }, issue.message)
          : `configurable.${key} (${spec.kind}): ${issue?.message}`,
      );
    }
  }
  if (problems.length) throw new EntryChangeError(problems);
  const { entry, problems: found } = entryFromContent(content, source);
  if (!entry) throw new EntryChangeError(fieldProblems(found));
  const all = [...others.filter((e) => e.id !== entry.id), entry];
  const cross = checkCatalogue(all, national).filter((p) => p.startsWith(`${source}: `));
  if (cross.length) throw new EntryChangeError(fieldProblems(cross));
  return entry;
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}
