import type { AuditEntry } from "../domain/audit.ts";
import { redactPersonalData } from "../lib/text.ts";
import type { Database, Executor } from "./db.ts";

export type { AuditEntry };

export interface AuditRow {
  id: number;
  staffUserId: string | null;
  username: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  detail: string | null;
  createdAt: number;
}

export interface AuditQuery {
  action?: string | undefined;
  staffUserId?: string | undefined;
  targetId?: string | undefined;
  /** Only rows with an id below this (paging backwards). */
  before?: number | undefined;
  limit: number;
}

/** The staff audit log: who did what to which record, when. */
export class AuditRepo {
  constructor(private readonly db: Database) {}

  /**
   * Appends one row; with `tx`, inside the transaction of the action it records. The detail is
   * masked here whatever the caller wrote: the audit log outlives every retention period, so it
   * keeps references (application numbers, masked numbers), never an ID or phone number in clear.
   */
  async record(entry: AuditEntry, now: number, tx: Executor = this.db.k): Promise<void> {
    await tx
      .insertInto("AuditLog")
      .values({
        staffUserId: entry.staffUserId,
        username: entry.username,
        action: entry.action,
        targetType: entry.targetType ?? null,
        targetId: entry.targetId ?? null,
        detail: entry.detail ? redactPersonalData(entry.detail) : null,
        createdAt: now,
      })
      .execute();
  }

  /**
   * Records a read of personal data unless the same person already read the same thing within
   * `windowMs`: the console refreshes an open conversation every few seconds, and one row per
   * refresh would bury the audit log without saying anything new.
   */
  async recordRead(entry: AuditEntry, now: number, windowMs: number): Promise<void> {
    const recent = await this.db.k
      .selectFrom("AuditLog")
      .select("id")
      .where("staffUserId", "is not distinct from", entry.staffUserId)
      .where("action", "=", entry.action)
      .where("targetId", "is not distinct from", entry.targetId ?? null)
      .where("createdAt", ">", now - windowMs)
      .limit(1)
      .executeTakeFirst();
    if (!recent) await this.record(entry, now);
  }

  /** Newest first. */
  async list(q: AuditQuery): Promise<AuditRow[]> {
    let query = this.db.k
      .selectFrom("AuditLog")
      .select(["id", "staffUserId", "username", "action", "targetType", "targetId", "detail", "createdAt"]);
    if (q.action) query = query.where("action", "=", q.action);
    if (q.staffUserId) query = query.where("staffUserId", "=", q.staffUserId);
    if (q.targetId) query = query.where("targetId", "=", q.targetId);
    if (q.before) query = query.where("id", "<", q.before);
    return query.orderBy("id", "desc").limit(q.limit).execute();
  }
}
