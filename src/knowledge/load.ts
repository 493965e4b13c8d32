import { readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { type Entry, entryFrontMatterSchema, type NationalFact, nationalFileSchema, partKeys } from "./schema.ts";

/** A catalogue that cannot be served: names each file and field at fault. */
export class CatalogueError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid knowledge catalogue:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "CatalogueError";
  }
}

export const FRONT_MATTER = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n([\s\S]*))?$/;

/**
 * Wording meant for staff, or a dead end, in text a resident reads: a pointer to a field that may
 * be empty, a note about what the source does not say, an unpublished value. Rejected at load so
 * that no entry (from a file or, later, from the console) can show it.
 */
const STAFF_WORDING =
  /见下方|可配置项?|由工作人员(?:填写|补充)|工作人员会在.{0,12}(?:填写|补充)|未公布|没有?写明|没(?:有)?写出|计划里没有|工作要点里没有/;

function issuesOf(shown: string, error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const field = issue.path.length ? issue.path.join(".") : "front matter";
    return `${shown}: field "${field}": ${issue.message}`;
  });
}

/** Resident-facing texts of an entry, with the field each comes from. */
function residentTexts(e: Entry): [string, string][] {
  const out: [string, string][] = [
    ["title", e.title],
    ["summary", e.summary],
    ["nextStep", e.nextStep],
    // The body is background for staff and the LLM, which may repeat it: the same rule applies.
    ["body", e.body],
  ];
  for (const k of partKeys) {
    const part = e.parts[k];
    if (part) out.push([`parts.${k}.text`, part.text]);
  }
  for (const [key, f] of Object.entries(e.configurable)) {
    out.push([`configurable.${key}.label`, f.label]);
    // A value staff fill in is shown under the part that uses it: the same rule.
    if (f.value) out.push([`configurable.${key}.value`, f.value]);
  }
  return out;
}

/**
 * Validates one entry's front matter (from a file or a stored version) on its own. Cross-entry
 * checks (related ids, national ids) are `checkCatalogue`'s.
 */
export function parseEntry(data: unknown, body: string, source: string): { entry?: Entry; problems: string[] } {
  const parsed = entryFrontMatterSchema.safeParse(data);
  if (!parsed.success) return { problems: issuesOf(source, parsed.error) };
  const entry: Entry = { ...parsed.data, body: body.trim(), file: source };
  const problems: string[] = [];
  for (const [field, value] of residentTexts(entry)) {
    const m = STAFF_WORDING.exec(value);
    if (m)
      problems.push(`${source}: field "${field}": "${m[0]}" reads like a note for staff; say what the resident can do instead`);
  }
  for (const k of partKeys) {
    entry.parts[k]?.uses.forEach((key, i) => {
      if (!entry.configurable[key]) {
        problems.push(`${source}: field "parts.${k}.uses.${i}": no configurable field "${key}" in this entry`);
      }
    });
  }
  return problems.length ? { problems } : { entry, problems };
}

/** Checks that do not fit one entry: unique ids, related entries and national facts that exist. */
export function checkCatalogue(entries: readonly Entry[], national: readonly NationalFact[]): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const e of entries) {
    if (ids.has(e.id)) problems.push(`${e.file}: field "id": "${e.id}" is used by another entry`);
    ids.add(e.id);
  }
  const facts = new Set(national.map((f) => f.id));
  for (const e of entries) {
    e.related.forEach((rel, i) => {
      if (!ids.has(rel)) problems.push(`${e.file}: field "related.${i}": no entry has the id "${rel}"`);
      if (rel === e.id) problems.push(`${e.file}: field "related.${i}": an entry cannot be related to itself`);
    });
    const named: [string, readonly string[]][] = [["national", e.national]];
    for (const k of partKeys) {
      const part = e.parts[k];
      if (part) named.push([`parts.${k}.national`, part.national]);
    }
    for (const [field, list] of named) {
      list.forEach((id, i) => {
        if (!facts.has(id)) problems.push(`${e.file}: field "${field}.${i}": no national fact has the id "${id}"`);
      });
    }
  }
  return problems;
}

/** Reads and validates `national.yml` of a knowledge folder. */
export function readNational(dir: string): NationalFact[] {
  const path = join(dir, "national.yml");
  const shown = relative(process.cwd(), path) || path;
  let data: unknown;
  try {
    data = parseYaml(readFileSync(path, "utf8"));
  } catch (err) {
    throw new CatalogueError([`${shown}: cannot read the national facts (${(err as Error).message.split("\n")[0]})`]);
  }
  const parsed = nationalFileSchema.safeParse(data);
  if (!parsed.success) throw new CatalogueError(issuesOf(shown, parsed.error));
  const seen = new Set<string>();
  const problems: string[] = [];
  parsed.data.facts.forEach((f, i) => {
    if (seen.has(f.id)) problems.push(`${shown}: field "facts.${i}.id": "${f.id}" is used twice`);
    seen.add(f.id);
    if (f.id.startsWith("hotline.") && f.number !== f.id.slice("hotline.".length)) {
      problems.push(`${shown}: field "facts.${i}.number": a hotline's number must match its id`);
    }
  });
  if (problems.length) throw new CatalogueError(problems);
  return parsed.data.facts;
}

/**
 * Reads and validates every `*.md` entry of a knowledge folder (README.md excluded). With
 * `crossCheck: false` the entries are checked one by one only: the caller checks them together
 * with entries stored elsewhere (the database may hold entries no file has yet).
 */
export function readEntries(
  dir: string,
  national: readonly NationalFact[] = readNational(dir),
  opts: { crossCheck?: boolean } = {},
): Entry[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith(".md") && f.toLowerCase() !== "readme.md")
      .sort();
  } catch (err) {
    throw new CatalogueError([`${dir}: cannot read the knowledge folder (${(err as Error).message})`]);
  }
  const problems: string[] = [];
  const entries: Entry[] = [];
  for (const file of files) {
    const path = join(dir, file);
    const shown = relative(process.cwd(), path) || path;
    const match = FRONT_MATTER.exec(readFileSync(path, "utf8"));
    if (!match) {
      problems.push(`${shown}: missing front matter (the file must start with a --- block)`);
      continue;
    }
    let data: unknown;
    try {
      data = parseYaml(match[1]!);
    } catch (err) {
      problems.push(`${shown}: front matter is not valid YAML (${(err as Error).message.split("\n")[0]})`);
      continue;
    }
    const { entry, problems: found } = parseEntry(data, match[2] ?? "", shown);
    problems.push(...found);
    if (!entry) continue;
    const expectedId = basename(file, ".md");
    if (entry.id !== expectedId) {
      problems.push(`${shown}: field "id": is "${entry.id}" but the file name says "${expectedId}"`);
      continue;
    }
    entries.push(entry);
  }
  if (opts.crossCheck !== false) problems.push(...checkCatalogue(entries, national));
  if (!problems.length && !entries.length) problems.push(`${dir}: no catalogue entries (*.md) found`);
  if (problems.length) throw new CatalogueError(problems);
  return entries;
}
