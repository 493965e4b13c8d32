import { createHash } from "node:crypto";
import { parseEntry } from "./load.ts";
import { type Entry, type EntryFrontMatter, partKeys } from "./schema.ts";

/**
 * An entry as it is stored and versioned: the validated front matter and the body, without
 * where it was read from. The same shape whether it came from a file or from the console, so a
 * file and a stored version can be compared field by field (and hashed).
 */
export type EntryContent = EntryFrontMatter & { body: string };

/** One field that differs between two versions of an entry. */
export interface FieldChange {
  /** `title`, `examples`, `parts.where.text`, `configurable.hotline.value`, `reviewedAt`… */
  field: string;
  before: unknown;
  after: unknown;
}

/** The content of an entry (drops `file`; undefined optional fields are left out). */
export function contentOf(entry: Entry | EntryContent): EntryContent {
  const { file: _file, ...rest } = entry as Entry;
  return JSON.parse(JSON.stringify(rest)) as EntryContent;
}

/** JSON with object keys sorted: the same content always gives the same text (and hash). */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** sha256 of an entry's content: equal for a file and a stored version that say the same. */
export function contentHash(entry: Entry | EntryContent): string {
  return createHash("sha256")
    .update(stableJson(contentOf(entry)))
    .digest("hex");
}

/**
 * Reads stored content back into an Entry, validated exactly like a file (schema and wording
 * rules). Problems name the entry and the field.
 */
export function entryFromContent(data: unknown, source: string): { entry?: Entry; problems: string[] } {
  if (!data || typeof data !== "object" || Array.isArray(data)) return { problems: [`${source}: not an entry`] };
  const { body, ...front } = data as Record<string, unknown>;
  return parseEntry(front, typeof body === "string" ? body : "", source);
}

/** Problems as the API shows them: `field: message` (the source prefix dropped). */
export function fieldProblems(problems: readonly string[]): string[] {
  return problems.map((p) => {
    const m = /^.*?: field "([^"]+)": ([\s\S]*)$/.exec(p);
    return m ? `${m[1]}: ${m[2]}` : p;
  });
}

const same = (a: unknown, b: unknown) => stableJson(a ?? null) === stableJson(b ?? null);

/**
 * The field-level difference between two versions (before null: the first version, no changes).
 * Parts and specifics are compared inside, so a filled-in hotline reads as
 * `configurable.hotline.value: null → "0574-…"`, not as a whole new object.
 */
export function diffContent(before: EntryContent | null, after: EntryContent): FieldChange[] {
  if (!before) return [];
  const out: FieldChange[] = [];
  const push = (field: string, a: unknown, b: unknown) => {
    if (!same(a, b)) out.push({ field, before: a ?? null, after: b ?? null });
  };
  for (const key of ["title", "category", "summary", "nextStep", "sensitive"] as const) push(key, before[key], after[key]);
  push("reviewedAt", before.lastReviewed, after.lastReviewed);
  for (const key of ["national", "related", "keywords", "examples", "seedItems"] as const) push(key, before[key], after[key]);
  for (const k of partKeys) {
    const a = before.parts[k];
    const b = after.parts[k];
    if (!a || !b) push(`parts.${k}`, a, b);
    else for (const f of ["text", "national", "uses"] as const) push(`parts.${k}.${f}`, a[f], b[f]);
  }
  const keys = [...new Set([...Object.keys(before.configurable), ...Object.keys(after.configurable)])];
  for (const key of keys) {
    const a = before.configurable[key];
    const b = after.configurable[key];
    if (!a || !b) push(`configurable.${key}`, a, b);
    else for (const f of ["label", "kind", "value"] as const) push(`configurable.${key}.${f}`, a[f], b[f]);
  }
  push("body", before.body, after.body);
  return out;
}
