import type Database from "better-sqlite3";
import type { ChannelId } from "../dialog/types.ts";
import { orderedId } from "./outbox.ts";

export interface Audience {
  channel?: ChannelId | undefined;
  district?: string | undefined;
}

/** queued (recipients being queued) → sending → done; or cancelled. */
export type BroadcastStatus = "queued" | "sending" | "done" | "cancelled";

export interface BroadcastRow {
  id: string;
  text: string;
  audience: Audience;
  status: BroadcastStatus;
  recipients: number;
  createdBy: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface BroadcastProgress extends BroadcastRow {
  sent: number;
  failed: number;
  /** Still to go, including the ones being sent right now. */
  pending: number;
  cancelled: number;
  /** Sent on a channel that cannot confirm (WeChat) and interrupted: may or may not have arrived. */
  unknown: number;
}

/**
 * Who a broadcast reaches: residents who accept notices, optionally on one channel and in one
 * district, and only on channels this instance can deliver to (a queued message for a channel
 * that is switched off would never finish).
 */
function audienceWhere(audience: Audience, channels: readonly ChannelId[]): { where: string; params: unknown[] } {
  const parts = ["r.acceptsNotices = 1"];
  const params: unknown[] = [];
  const allowed = audience.channel ? channels.filter((c) => c === audience.channel) : [...channels];
  // `|| ''` keeps the planner off the channel and district indexes: the chunks walk the primary
  // key in order (r.id > ?), and an index on channel would mean sorting every resident per chunk.
  parts.push(allowed.length ? `(r.channel || '') IN (${allowed.map(() => "?").join(", ")})` : "1 = 0");
  params.push(...allowed);
  if (audience.district) {
    parts.push("(r.district || '') = ?");
    params.push(audience.district);
  }
  return { where: parts.join(" AND "), params };
}

export function countAudience(sql: Database.Database, audience: Audience, channels: readonly ChannelId[]): number {
  const { where, params } = audienceWhere(audience, channels);
  return Number((sql.prepare(`SELECT count(*) AS n FROM "Resident" r WHERE ${where}`).get(...params) as { n: number }).n);
}

export function insertBroadcast(
  sql: Database.Database,
  input: { text: string; audience: Audience; recipients: number; createdBy: string | null },
  now: number,
): string {
  const id = orderedId(now);
  sql
    .prepare(
      `INSERT INTO "Broadcast" (id, text, audience, status, recipients, createdBy, createdAt, updatedAt)
       VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)`,
    )
    .run(id, input.text, JSON.stringify(input.audience), input.recipients, input.createdBy, now, now);
  return id;
}

/**
 * Queues the next chunk of a broadcast's recipients after resident id `after` with one
 * INSERT … SELECT (memory stays flat however large the audience). Delivery ids are
 * b:<broadcastId>:<residentId>: in resident order, so a million inserts append to the primary-key
 * index rather than landing on random pages (random ids made this ten times slower). Idempotent thanks to the
 * dedupe key broadcast:<id>:<residentId>, so an interrupted broadcast can simply run again.
 * Returns the last resident id of the chunk (null when done or cancelled) and how many were queued.
 */
export function enqueueBroadcastChunk(
  sql: Database.Database,
  broadcast: { id: string; text: string; audience: Audience },
  channels: readonly ChannelId[],
  after: string,
  limit: number,
  now: number,
): { last: string | null; queued: number } {
  const { where, params } = audienceWhere(broadcast.audience, channels);
  const tx = sql.transaction(() => {
    const status = sql.prepare(`SELECT status FROM "Broadcast" WHERE id = ?`).get(broadcast.id) as { status: string } | undefined;
    if (status?.status !== "queued") return { last: null, queued: 0 };
    const bound = sql
      .prepare(`SELECT max(id) AS last FROM (SELECT r.id FROM "Resident" r WHERE ${where} AND r.id > ? ORDER BY r.id LIMIT ?)`)
      .get(...params, after, limit) as { last: string | null };
    if (!bound.last) return { last: null, queued: 0 };
    const inserted = sql
      .prepare(`
        INSERT INTO "Delivery" (id, dedupeKey, residentId, channel, kind, text, status, attempts, notBefore, broadcastId, createdAt, updatedAt)
        SELECT 'b:' || ? || ':' || r.id, 'broadcast:' || ? || ':' || r.id, r.id, r.channel, 'broadcast', ?, 'pending', 0, ?, ?, ?, ?
        FROM "Resident" r WHERE ${where} AND r.id > ? AND r.id <= ?
        ON CONFLICT(dedupeKey) DO NOTHING`)
      .run(broadcast.id, broadcast.id, broadcast.text, now, broadcast.id, now, now, ...params, after, bound.last);
    return { last: bound.last, queued: inserted.changes };
  });
  return tx.immediate();
}

/** All recipients are queued: the broadcast is now being sent; recipients = deliveries actually queued. */
export function finishEnqueue(sql: Database.Database, id: string, now: number): void {
  sql
    .prepare(`
      UPDATE "Broadcast" SET status = 'sending', updatedAt = ?,
        recipients = (SELECT count(*) FROM "Delivery" d WHERE d.broadcastId = "Broadcast".id)
      WHERE id = ? AND status = 'queued'`)
    .run(now, id);
}

function toRow(r: Record<string, unknown>): BroadcastRow {
  let audience: Audience = {};
  try {
    audience = JSON.parse(r.audience as string) as Audience;
  } catch {
    // an unreadable filter is shown as "everyone"
  }
  return {
    id: r.id as string,
    text: r.text as string,
    audience,
    status: r.status as BroadcastStatus,
    recipients: Number(r.recipients),
    createdBy: (r.createdBy as string | null) ?? null,
    createdAt: Number(r.createdAt),
    updatedAt: Number(r.updatedAt),
  };
}

export function getBroadcast(sql: Database.Database, id: string): BroadcastRow | null {
  const row = sql.prepare(`SELECT * FROM "Broadcast" WHERE id = ?`).get(id) as Record<string, unknown> | undefined;
  return row ? toRow(row) : null;
}

/** Broadcasts still being queued (e.g. interrupted by a restart). */
export function queuedBroadcasts(sql: Database.Database): BroadcastRow[] {
  return (
    sql.prepare(`SELECT * FROM "Broadcast" WHERE status = 'queued' ORDER BY createdAt`).all() as Record<string, unknown>[]
  ).map(toRow);
}

/** Cancelled broadcasts whose deliveries are not all marked yet (a restart interrupted the cancel). */
export function cancelledWithPending(sql: Database.Database): string[] {
  return sql
    .prepare(`
      SELECT b.id FROM "Broadcast" b WHERE b.status = 'cancelled'
        AND EXISTS (SELECT 1 FROM "Delivery" d WHERE d.broadcastId = b.id AND d.status = 'pending')`)
    .pluck()
    .all() as string[];
}

/**
 * A broadcast with its delivery counts; a finished one is marked done. Once cancelled, what is
 * still waiting counts as cancelled (it will never be sent) even while the rows are being marked.
 */
export function broadcastProgress(sql: Database.Database, id: string, now: number): BroadcastProgress | null {
  const row = getBroadcast(sql, id);
  if (!row) return null;
  const counts = { sent: 0, failed: 0, pending: 0, cancelled: 0, unknown: 0 };
  const rows = sql.prepare(`SELECT status, count(*) AS n FROM "Delivery" WHERE broadcastId = ? GROUP BY status`).all(id) as {
    status: string;
    n: number;
  }[];
  for (const { status, n } of rows) {
    if (status === "pending" && row.status === "cancelled") counts.cancelled += Number(n);
    else if (status === "pending" || status === "sending") counts.pending += Number(n);
    else if (status in counts) counts[status as keyof typeof counts] += Number(n);
  }
  if (row.status === "sending" && counts.pending === 0) {
    sql.prepare(`UPDATE "Broadcast" SET status = 'done', updatedAt = ? WHERE id = ? AND status = 'sending'`).run(now, id);
    row.status = "done";
  }
  return { ...row, ...counts };
}

export function listBroadcasts(sql: Database.Database, limit: number, now: number): BroadcastProgress[] {
  const ids = sql.prepare(`SELECT id FROM "Broadcast" ORDER BY createdAt DESC LIMIT ?`).all(limit) as { id: string }[];
  return ids.map(({ id }) => broadcastProgress(sql, id, now) as BroadcastProgress);
}

/** Marks the broadcast cancelled (stops queueing); returns false when it was already finished or cancelled. */
export function markBroadcastCancelled(sql: Database.Database, id: string, now: number): boolean {
  return (
    sql
      .prepare(`UPDATE "Broadcast" SET status = 'cancelled', updatedAt = ? WHERE id = ? AND status IN ('queued', 'sending')`)
      .run(now, id).changes === 1
  );
}

/** Cancels up to `limit` of the broadcast's pending deliveries; returns how many. */
export function cancelPendingChunk(sql: Database.Database, id: string, limit: number, now: number): number {
  return sql
    .prepare(`
      UPDATE "Delivery" SET status = 'cancelled', updatedAt = ?
      WHERE id IN (SELECT id FROM "Delivery" WHERE broadcastId = ? AND status = 'pending' LIMIT ?) AND status = 'pending'`)
    .run(now, id, limit).changes;
}
