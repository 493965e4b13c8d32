import type Database from "better-sqlite3";

export interface AuditEntry {
  staffUserId: string | null;
  username: string | null;
  /** What was done, e.g. conversation.view, application.reveal_id, application.decide. */
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  /** Short, non-personal detail (never an ID number). */
  detail?: string | null;
}

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

/** Appends one audit row; call it inside the transaction of the action it records. */
export function recordAudit(sql: Database.Database, entry: AuditEntry, now: number): void {
  sql
    .prepare(
      `INSERT INTO "AuditLog" (staffUserId, username, action, targetType, targetId, detail, createdAt)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      entry.staffUserId,
      entry.username,
      entry.action,
      entry.targetType ?? null,
      entry.targetId ?? null,
      entry.detail ?? null,
      now,
    );
}

/**
 * Records a read of personal data unless the same person already read the same thing within
 * `windowMs`: the console refreshes an open conversation every few seconds, and one row per
 * refresh would bury the audit log without saying anything new.
 */
export function recordReadAudit(sql: Database.Database, entry: AuditEntry, now: number, windowMs: number): void {
  const recent = sql
    .prepare(`SELECT 1 FROM "AuditLog" WHERE staffUserId IS ? AND action = ? AND targetId IS ? AND createdAt > ? LIMIT 1`)
    .get(entry.staffUserId, entry.action, entry.targetId ?? null, now - windowMs);
  if (!recent) recordAudit(sql, entry, now);
}

export interface AuditQuery {
  action?: string | undefined;
  staffUserId?: string | undefined;
  targetId?: string | undefined;
  /** Only rows with an id below this (paging backwards). */
  before?: number | undefined;
  limit: number;
}

/** Newest first. */
export function listAudit(sql: Database.Database, q: AuditQuery): AuditRow[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.action) {
    where.push("action = ?");
    args.push(q.action);
  }
  if (q.staffUserId) {
    where.push("staffUserId = ?");
    args.push(q.staffUserId);
  }
  if (q.targetId) {
    where.push("targetId = ?");
    args.push(q.targetId);
  }
  if (q.before) {
    where.push("id < ?");
    args.push(q.before);
  }
  const rows = sql
    .prepare(
      `SELECT id, staffUserId, username, action, targetType, targetId, detail, createdAt FROM "AuditLog"
       ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`,
    )
    .all(...args, q.limit) as AuditRow[];
  return rows.map((r) => ({ ...r, id: Number(r.id), createdAt: Number(r.createdAt) }));
}
