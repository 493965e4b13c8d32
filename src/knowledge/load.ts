import { readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import { type Entry, entryFrontMatterSchema } from "./schema.ts";

/** A catalogue that cannot be served: names each file and field at fault. */
export class CatalogueError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid knowledge catalogue:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "CatalogueError";
  }
}

const FRONT_MATTER = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n([\s\S]*))?$/;

/** Reads and validates every `*.md` entry of a knowledge folder (README.md excluded). */
export function readEntries(dir: string): Entry[] {
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
    const parsed = entryFrontMatterSchema.safeParse(data);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path.length ? issue.path.join(".") : "front matter";
        problems.push(`${shown}: field "${field}": ${issue.message}`);
      }
      continue;
    }
    const expectedId = basename(file, ".md");
    if (parsed.data.id !== expectedId) {
      problems.push(`${shown}: field "id": is "${parsed.data.id}" but the file name says "${expectedId}"`);
      continue;
    }
    entries.push({ ...parsed.data, body: (match[2] ?? "").trim(), file: shown });
  }
  const ids = new Set(entries.map((e) => e.id));
  for (const e of entries) {
    e.related.forEach((rel, i) => {
      if (!ids.has(rel)) problems.push(`${e.file}: field "related.${i}": no entry has the id "${rel}"`);
      if (rel === e.id) problems.push(`${e.file}: field "related.${i}": an entry cannot be related to itself`);
    });
  }
  if (!problems.length && !entries.length) problems.push(`${dir}: no catalogue entries (*.md) found`);
  if (problems.length) throw new CatalogueError(problems);
  return entries;
}
