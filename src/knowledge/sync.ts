/**
 * Git stays a source: at start-up the files in knowledge/ are compared with what is published.
 *
 * - A fresh database is seeded from the files.
 * - Once seeded, the database is authoritative. A file whose content changed since it was last
 *   read is published as a new version, but only if staff have not published that entry since;
 *   if both changed, the staff version stays and start-up warns, naming the entries
 *   (`npm run knowledge:export` writes the published versions back for review).
 * - A file that says exactly what is published (e.g. right after an export) is only noted.
 * - A new file becomes a new entry.
 *
 * Content is compared as validated data (contentHash), so reformatting a file or editing its
 * comments changes nothing.
 */
import type { Logger } from "pino";
import type { Effect } from "../domain/effects.ts";
import { contentHash, contentOf, diffContent, type EntryContent, stableJson } from "./content.ts";
import { entriesFromStored, sourceName } from "./live.ts";
import { CatalogueError, checkCatalogue, readEntries } from "./load.ts";
import type { Entry, NationalFact } from "./schema.ts";

export interface StoredForSync {
  id: string;
  version: number;
  content: string;
  source: "file" | "staff";
  fileHash: string | null;
}

export interface FileSyncPlan {
  effects: Effect[];
  /** New entries (all of them on a fresh database). */
  created: string[];
  /** Files changed since last read, published as new versions. */
  imported: string[];
  /** Files and staff both changed: the staff version stays. */
  conflicts: string[];
  /** Stored versions that no longer validate, replaced by their (valid) file. */
  repaired: string[];
  /** Entries only the database has (published by staff, not exported yet). */
  onlyStored: string[];
  /** True when the database had no entry at all. */
  fresh: boolean;
}

/** What start-up must write so the database reflects the files, by the rules above. Pure. */
export function planFileSync(
  files: readonly Entry[],
  stored: readonly StoredForSync[],
  national: readonly NationalFact[],
): FileSyncPlan {
  const byId = new Map(stored.map((s) => [s.id, s]));
  const fresh = stored.length === 0;
  const plan: FileSyncPlan = { effects: [], created: [], imported: [], conflicts: [], repaired: [], onlyStored: [], fresh };
  const result = new Map<string, Entry>();
  for (const s of stored) {
    try {
      result.set(s.id, entriesFromStored([s])[0]!);
    } catch {
      // A stored version the current rules refuse: its file (below) replaces it, if there is one.
    }
  }
  const fileVersion = (file: Entry, s: StoredForSync | undefined, storedContent: EntryContent | null): Effect => ({
    type: "knowledge.publish",
    entryId: file.id,
    ifVersion: s ? s.version : null,
    content: stableJson(contentOf(file)),
    action: fresh ? "seed" : "import",
    changes: JSON.stringify(diffContent(storedContent, contentOf(file))),
    source: "file",
    fileHash: contentHash(file),
    staffUserId: null,
    username: null,
  });
  for (const file of files) {
    const hash = contentHash(file);
    const s = byId.get(file.id);
    if (!s) {
      plan.effects.push(fileVersion(file, undefined, null));
      plan.created.push(file.id);
      result.set(file.id, file);
      continue;
    }
    const current = result.get(file.id);
    if (!current) {
      plan.effects.push(fileVersion(file, s, null));
      plan.repaired.push(file.id);
      result.set(file.id, file);
      continue;
    }
    if (s.fileHash === hash) continue;
    if (contentHash(current) === hash) {
      plan.effects.push({ type: "knowledge.fileSeen", entryId: file.id, fileHash: hash });
      continue;
    }
    if (s.source === "file") {
      plan.effects.push(fileVersion(file, s, contentOf(current)));
      plan.imported.push(file.id);
      result.set(file.id, file);
    } else plan.conflicts.push(file.id);
  }
  // Changes from git are in the audit log too (not the first seed: that is the starting point).
  const fromFiles = fresh ? [] : [...plan.created, ...plan.imported, ...plan.repaired];
  if (fromFiles.length) {
    plan.effects.push({
      type: "audit.record",
      entry: {
        staffUserId: null,
        username: null,
        action: "knowledge.import",
        targetType: "knowledge",
        detail: `from knowledge/*.md: ${fromFiles.join(", ")}`.slice(0, 500),
      },
    });
  }
  const fileIds = new Set(files.map((f) => f.id));
  plan.onlyStored = stored.map((s) => s.id).filter((id) => !fileIds.has(id));
  const problems = checkCatalogue([...result.values()], national);
  const broken = stored
    .filter((s) => !result.has(s.id))
    .map((s) => `${sourceName(s.id, s.version)}: no longer validates and has no file to replace it`);
  if (problems.length || broken.length) throw new CatalogueError([...broken, ...problems]);
  return plan;
}

export interface FileSyncStore {
  knowledge: { all(): Promise<StoredForSync[]> };
  apply(effects: readonly Effect[], now: number): Promise<void>;
}

/**
 * Reads knowledge/ and brings the database in line with it (see above), logging what happened.
 * Several instances starting together: the one that writes first wins, the others find the
 * database already in line (a conflicting write is retried on fresh rows).
 */
export async function syncKnowledgeFiles(opts: {
  store: FileSyncStore;
  dir: string;
  national: readonly NationalFact[];
  log: Logger;
  now: number;
  isConflict: (err: unknown) => boolean;
}): Promise<FileSyncPlan> {
  const files = readEntries(opts.dir, opts.national, { crossCheck: false });
  for (let attempt = 0; ; attempt++) {
    const plan = planFileSync(files, await opts.store.knowledge.all(), opts.national);
    try {
      if (plan.effects.length) await opts.store.apply(plan.effects, opts.now);
    } catch (err) {
      if (attempt < 5 && opts.isConflict(err)) continue;
      throw err;
    }
    logPlan(plan, opts.log);
    return plan;
  }
}

function logPlan(plan: FileSyncPlan, log: Logger): void {
  if (plan.fresh) {
    log.info(
      { entries: plan.created.length },
      "knowledge: seeded the database from knowledge/*.md; from now on the database is authoritative (staff publish from the console; npm run knowledge:export writes it back)",
    );
  } else if (plan.created.length) {
    log.info({ entries: plan.created }, "knowledge: new files in knowledge/ published as new entries");
  }
  if (plan.imported.length) {
    log.info(
      { entries: plan.imported },
      "knowledge: files changed since they were last read and staff had not published these entries since: published the files as new versions",
    );
  }
  if (plan.repaired.length) {
    log.warn({ entries: plan.repaired }, "knowledge: stored versions no longer validate: published their files as new versions");
  }
  if (plan.conflicts.length) {
    log.warn(
      { entries: plan.conflicts },
      `knowledge: both the file and a staff publish changed ${plan.conflicts.join(", ")}; the staff version stays published. Run npm run knowledge:export to review the difference in git`,
    );
  }
  if (plan.onlyStored.length) {
    log.info(
      { entries: plan.onlyStored },
      "knowledge: entries published by staff that have no file yet (npm run knowledge:export writes them)",
    );
  }
}
