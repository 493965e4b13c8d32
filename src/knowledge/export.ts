/**
 * `npm run knowledge:export`: the published catalogue written back to knowledge/*.md, in the
 * files' own format, so staff's changes can be reviewed and committed. An existing file is
 * edited in place: only the fields that differ are rewritten (comments, key order and the
 * styles of everything else stay byte for byte), so the git diff shows exactly what staff
 * changed. A new entry gets a new file in the usual layout.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Document, isMap, isSeq, parseDocument, type YAMLMap, type YAMLSeq } from "yaml";
import { contentOf, type EntryContent, stableJson } from "./content.ts";
import { FRONT_MATTER, parseEntry } from "./load.ts";
import { partKeys } from "./schema.ts";

/** How YAML is written: no folding of long lines, `[a, b]` without inner spaces (as the files are written). */
const YAML_OPTIONS = { lineWidth: 0, flowCollectionPadding: false } as const;

/** Front matter keys in the order the files use. */
const KEY_ORDER = [
  "id",
  "title",
  "category",
  "sensitive",
  "seedItems",
  "lastReviewed",
  "summary",
  "national",
  "parts",
  "nextStep",
  "related",
  "examples",
  "keywords",
  "configurable",
] as const;

/** Short lists written on one line. */
const FLOW_LISTS = new Set(["seedItems", "national", "keywords", "uses"]);

const same = (a: unknown, b: unknown) => stableJson(a ?? null) === stableJson(b ?? null);

/** A part or a specific without the defaults a file leaves out (empty national/uses lists). */
function compact(value: unknown): unknown {
  if (!value || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).filter(
      ([k, v]) => v !== undefined && !((k === "national" || k === "uses") && Array.isArray(v) && v.length === 0),
    ),
  );
}

/** Sets `path` to `value`, keeping a list's flow or block style as it was written. */
function setValue(doc: Document, path: (string | number)[], value: unknown): void {
  const old = doc.getIn(path, true);
  const node = doc.createNode(value);
  const key = String(path.at(-1));
  if (isSeq(node)) {
    node.flow = isSeq(old) ? Boolean((old as YAMLSeq).flow) : FLOW_LISTS.has(key);
  }
  if (isMap(node)) {
    for (const item of (node as YAMLMap).items) {
      if (isSeq(item.value) && FLOW_LISTS.has(String((item.key as { value?: unknown })?.value ?? item.key)))
        item.value.flow = true;
    }
  }
  doc.setIn(path, node);
}

/** Edits the front matter document where the published content differs from what the file says. */
function editFrontMatter(doc: Document, was: EntryContent, now: EntryContent): void {
  for (const key of KEY_ORDER) {
    if (key === "parts") {
      for (const k of partKeys) {
        const a = was.parts[k];
        const b = now.parts[k];
        if (same(a, b)) continue;
        if (!b) doc.deleteIn(["parts", k]);
        else if (!a) setValue(doc, ["parts", k], compact(b));
        else {
          for (const f of ["text", "national", "uses"] as const) {
            if (same(a[f], b[f])) continue;
            if (f !== "text" && b[f].length === 0) doc.deleteIn(["parts", k, f]);
            else setValue(doc, ["parts", k, f], b[f]);
          }
        }
      }
      continue;
    }
    if (key === "configurable") {
      const keys = new Set([...Object.keys(was.configurable), ...Object.keys(now.configurable)]);
      for (const c of keys) {
        const a = was.configurable[c];
        const b = now.configurable[c];
        if (same(a, b)) continue;
        if (!b) doc.deleteIn(["configurable", c]);
        else if (!a) setValue(doc, ["configurable", c], b);
        else
          for (const f of ["label", "kind", "value"] as const) if (!same(a[f], b[f])) setValue(doc, ["configurable", c, f], b[f]);
      }
      continue;
    }
    const a = was[key];
    const b = now[key];
    if (same(a, b)) continue;
    if (b === undefined || (key === "national" && Array.isArray(b) && b.length === 0)) doc.deleteIn([key]);
    else setValue(doc, [key], b);
  }
}

/** A new file: the usual key order, defaults left out. */
function newFrontMatter(content: EntryContent): string {
  const ordered: Record<string, unknown> = {};
  for (const key of KEY_ORDER) {
    const v = content[key];
    if (v === undefined || (key === "national" && Array.isArray(v) && v.length === 0)) continue;
    if (key === "parts") {
      ordered.parts = Object.fromEntries(partKeys.filter((k) => content.parts[k]).map((k) => [k, compact(content.parts[k])]));
    } else ordered[key] = v;
  }
  const doc = new Document(ordered);
  const root = doc.contents as YAMLMap;
  root.flow = false;
  const flowLists = (map: YAMLMap) => {
    for (const item of map.items) {
      const name = String((item.key as { value?: unknown })?.value ?? item.key);
      if (isSeq(item.value)) item.value.flow = FLOW_LISTS.has(name);
      if (isMap(item.value)) flowLists(item.value as YAMLMap);
    }
  };
  flowLists(root);
  return doc.toString(YAML_OPTIONS);
}

/**
 * The file text for a published entry. With the entry's current file, only what differs is
 * rewritten; an entry whose file already says the same gets its file back unchanged.
 */
export function exportEntry(published: EntryContent, existing: string | null): string {
  const content = contentOf(published);
  const body = content.body.trim();
  if (existing !== null) {
    const match = FRONT_MATTER.exec(existing);
    const doc = match ? parseDocument(match[1]!, { keepSourceTokens: false }) : null;
    const parsed = doc && !doc.errors.length ? parseEntry(doc.toJS(), match![2] ?? "", "export") : null;
    if (doc && parsed?.entry) {
      const was = contentOf(parsed.entry);
      editFrontMatter(doc, was, content);
      const front = same({ ...was, body: "" }, { ...content, body: "" }) ? `${match![1]}\n` : doc.toString(YAML_OPTIONS);
      const rest = was.body === body ? (match![2] ?? "") : `\n${body}\n`;
      return `---\n${front}---\n${rest}`;
    }
    // A file that no longer parses is replaced as a whole.
  }
  return `---\n${newFrontMatter(content)}---\n${body ? `\n${body}\n` : ""}`;
}

/**
 * Writes the published entries into a knowledge folder (`<id>.md`), rewriting only files whose
 * text changes. Returns the ids whose files were written.
 */
export function exportToDir(published: readonly EntryContent[], dir: string): { written: string[]; unchanged: number } {
  const written: string[] = [];
  let unchanged = 0;
  for (const content of published) {
    const file = join(dir, `${content.id}.md`);
    const existing = existsSync(file) ? readFileSync(file, "utf8") : null;
    const text = exportEntry(content, existing);
    if (text === existing) {
      unchanged++;
      continue;
    }
    writeFileSync(file, text, "utf8");
    written.push(content.id);
  }
  return { written, unchanged };
}
