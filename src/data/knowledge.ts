import { randomUUID } from "node:crypto";
import type { KnowledgeAction, KnowledgeDraftInput, KnowledgePublish } from "../domain/effects.ts";
import type { Database, Executor } from "./db.ts";
import { isUniqueViolation } from "./db.ts";
import { ConflictError } from "./errors.ts";

/** The Setting that changes with every publish: instances compare it to know they are current. */
export const KNOWLEDGE_REVISION = "knowledge.revision";

export type { KnowledgeAction, KnowledgePublish };

export interface StoredEntry {
  id: string;
  version: number;
  /** The entry's content as JSON (src/knowledge/content.ts). */
  content: string;
  /** file: the current version came from its file in knowledge/, or the file was found to say the same; staff: published by staff since. */
  source: "file" | "staff";
  fileHash: string | null;
  updatedAt: number;
  updatedBy: string | null;
}

export interface StoredVersion {
  entryId: string;
  version: number;
  content: string;
  action: KnowledgeAction;
  /** JSON [{ field, before, after }]. */
  changes: string;
  staffUserId: string | null;
  username: string | null;
  createdAt: number;
}

export interface StoredDraft {
  id: string;
  entryId: string | null;
  title: string;
  content: string;
  fromQuestionId: string | null;
  createdBy: string | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * The published catalogue and its history: one row per entry (the current version), every
 * version ever published, the drafts of new entries, and a revision every instance compares to
 * know whether its in-memory catalogue is current.
 */
export class KnowledgeRepo {
  constructor(private readonly db: Database) {}

  /** The revision of the published catalogue (changes with every publish); null before the first. */
  async revision(): Promise<string | null> {
    const row = await this.db.k.selectFrom("Setting").select("value").where("key", "=", KNOWLEDGE_REVISION).executeTakeFirst();
    return row?.value ?? null;
  }

  /**
   * Every entry as published now, with the revision read first: a publish in between shows up
   * as a newer revision at the next check, never as a missed one.
   */
  async snapshot(): Promise<{ revision: string | null; entries: StoredEntry[] }> {
    const revision = await this.revision();
    return { revision, entries: await this.all() };
  }

  async all(): Promise<StoredEntry[]> {
    const rows = await this.db.k
      .selectFrom("KnowledgeEntry")
      .select(["id", "version", "content", "source", "fileHash", "updatedAt", "updatedBy"])
      .execute();
    // Sorted here, not by the database: PostgreSQL's collation may order "-" and "." otherwise.
    return (rows as StoredEntry[]).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async get(id: string): Promise<StoredEntry | null> {
    const row = await this.db.k
      .selectFrom("KnowledgeEntry")
      .select(["id", "version", "content", "source", "fileHash", "updatedAt", "updatedBy"])
      .where("id", "=", id)
      .executeTakeFirst();
    return (row as StoredEntry | undefined) ?? null;
  }

  /** Versions of one entry, newest first. */
  async versions(entryId: string, limit = 200): Promise<StoredVersion[]> {
    const rows = await this.db.k
      .selectFrom("KnowledgeVersion")
      .select(["entryId", "version", "content", "action", "changes", "staffUserId", "username", "createdAt"])
      .where("entryId", "=", entryId)
      .orderBy("version", "desc")
      .limit(limit)
      .execute();
    return rows as StoredVersion[];
  }

  async version(entryId: string, version: number): Promise<StoredVersion | null> {
    const row = await this.db.k
      .selectFrom("KnowledgeVersion")
      .select(["entryId", "version", "content", "action", "changes", "staffUserId", "username", "createdAt"])
      .where("entryId", "=", entryId)
      .where("version", "=", version)
      .executeTakeFirst();
    return (row as StoredVersion | undefined) ?? null;
  }

  /**
   * Publishes a version inside the caller's transaction: compare-and-set on the entry's version
   * (ConflictError when another publish came first), the version row, a new revision. Returns
   * the new version number.
   */
  async publish(tx: Executor, p: KnowledgePublish, now: number): Promise<number> {
    const version = (p.ifVersion ?? 0) + 1;
    const by = p.username ?? null;
    if (p.ifVersion === null) {
      try {
        await tx
          .insertInto("KnowledgeEntry")
          .values({
            id: p.entryId,
            version,
            content: p.content,
            source: p.source,
            fileHash: p.fileHash ?? null,
            updatedAt: now,
            updatedBy: by,
          })
          .execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError("knowledge entry");
        throw err;
      }
    } else {
      const result = await tx
        .updateTable("KnowledgeEntry")
        .set({
          version,
          content: p.content,
          source: p.source,
          ...(p.fileHash !== undefined ? { fileHash: p.fileHash } : {}),
          updatedAt: now,
          updatedBy: by,
        })
        .where("id", "=", p.entryId)
        .where("version", "=", p.ifVersion)
        .executeTakeFirst();
      if (result.numUpdatedRows !== 1n) throw new ConflictError("knowledge entry");
    }
    try {
      await tx
        .insertInto("KnowledgeVersion")
        .values({
          entryId: p.entryId,
          version,
          content: p.content,
          action: p.action,
          changes: p.changes,
          staffUserId: p.staffUserId,
          username: p.username,
          createdAt: now,
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError("knowledge entry");
      throw err;
    }
    await this.bumpRevision(tx, now);
    return version;
  }

  /**
   * Records that the entry's file says what is published (e.g. after an export): from now on a
   * change to the file is a change since staff's last publish, and is imported.
   */
  async fileSeen(tx: Executor, entryId: string, fileHash: string): Promise<void> {
    await tx.updateTable("KnowledgeEntry").set({ fileHash, source: "file" }).where("id", "=", entryId).execute();
  }

  private async bumpRevision(tx: Executor, now: number): Promise<void> {
    await tx
      .insertInto("Setting")
      .values({ key: KNOWLEDGE_REVISION, value: randomUUID(), updatedAt: now })
      .onConflict((oc) => oc.column("key").doUpdateSet((eb) => ({ value: eb.ref("excluded.value"), updatedAt: now })))
      .execute();
  }

  async drafts(limit = 200): Promise<StoredDraft[]> {
    return this.db.k
      .selectFrom("KnowledgeDraft")
      .select(["id", "entryId", "title", "content", "fromQuestionId", "createdBy", "createdAt", "updatedAt"])
      .orderBy("updatedAt", "desc")
      .orderBy("id")
      .limit(limit)
      .execute();
  }

  async draft(id: string): Promise<StoredDraft | null> {
    const row = await this.db.k
      .selectFrom("KnowledgeDraft")
      .select(["id", "entryId", "title", "content", "fromQuestionId", "createdBy", "createdAt", "updatedAt"])
      .where("id", "=", id)
      .executeTakeFirst();
    return row ?? null;
  }

  async saveDraft(tx: Executor, d: KnowledgeDraftInput, now: number): Promise<void> {
    await tx
      .insertInto("KnowledgeDraft")
      .values({ ...d, createdAt: now, updatedAt: now })
      .onConflict((oc) => oc.column("id").doUpdateSet({ entryId: d.entryId, title: d.title, content: d.content, updatedAt: now }))
      .execute();
  }

  async deleteDraft(tx: Executor, id: string): Promise<void> {
    await tx.deleteFrom("KnowledgeDraft").where("id", "=", id).execute();
  }
}
