import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import type { ChannelId, ProactiveKind } from "../dialog/types.ts";

export interface DeliveryInput {
  /** The delivery id (also the webhook's de-duplication id); generated when absent. */
  id?: string;
  residentId: string;
  channel: ChannelId;
  kind: ProactiveKind;
  text: string;
  /** Unique per logical message (reminder:<permit>:<cycle>:<stage>, broadcast:<id>:<resident>, staff:<msg>…). */
  dedupeKey: string;
  /** Not before this time (epoch ms); quiet hours may push it later at dispatch. */
  notBefore?: number;
  broadcastId?: string;
  /** Who the transcript shows as the author. */
  author?: "bot" | "staff";
  staffUserId?: string;
  /**
   * Also append the message to the resident's transcript now (default true). Reminders and
   * broadcasts ignore this: they enter the transcript when actually sent, so a message held by
   * quiet hours or a cancelled broadcast never shows up in the web chat early.
   */
  transcript?: boolean;
}

let lastMs = 0;
let sequence = 0;

/**
 * A UUIDv7: time-ordered, so bulk inserts (a reminder scan, a broadcast) append to the primary-key
 * index instead of touching random pages all over it. Monotonic within one process.
 */
export function orderedId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else if (++sequence > 0xfff) {
    lastMs++;
    sequence = 0;
  }
  // randomUUID draws from a pooled random buffer (fast); keep its random tail and variant bits.
  const ts = (lastMs % 2 ** 48).toString(16).padStart(12, "0");
  return `${ts.slice(0, 8)}-${ts.slice(8)}-7${sequence.toString(16).padStart(3, "0")}-${randomUUID().slice(19)}`;
}

/** Delivery statuses: pending → sending → sent | failed | unknown (or pending again for a retry); pending → cancelled. */
export type DeliveryStatus = "pending" | "sending" | "sent" | "failed" | "unknown" | "cancelled";

/** Kinds whose transcript entry is written when the message is sent rather than when it is queued. */
const TRANSCRIPT_AT_SEND: ReadonlySet<ProactiveKind> = new Set(["reminder", "broadcast"]);

interface EnqueueStatements {
  insert: Database.Statement;
  transcript: Database.Statement;
}
const enqueueStatements = new WeakMap<Database.Database, EnqueueStatements>();

function statementsFor(sql: Database.Database): EnqueueStatements {
  let s = enqueueStatements.get(sql);
  if (!s) {
    s = {
      insert: sql.prepare(
        `INSERT INTO "Delivery" (id, dedupeKey, residentId, channel, kind, text, status, attempts, notBefore, broadcastId, createdAt, updatedAt)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?) ON CONFLICT(dedupeKey) DO NOTHING`,
      ),
      transcript: sql.prepare(
        `INSERT INTO "Message" (conversationId, residentId, direction, author, text, intent, staffUserId, createdAt)
         SELECT c.id, c.residentId, 'out', ?, ?, ?, ?, ? FROM "Conversation" c WHERE c.residentId = ?`,
      ),
    };
    enqueueStatements.set(sql, s);
  }
  return s;
}

/**
 * Records a proactive message in the outbox (and, for staff replies and notices, the resident's
 * transcript) — call it inside the same transaction as the decision to send. Returns the
 * delivery id, or null when a delivery with that dedupe key already exists (the decision was
 * already taken).
 */
export function enqueueDelivery(sql: Database.Database, input: DeliveryInput, now: number): string | null {
  const s = statementsFor(sql);
  const id = input.id ?? orderedId();
  const inserted = s.insert.run(
    id,
    input.dedupeKey,
    input.residentId,
    input.channel,
    input.kind,
    input.text,
    input.notBefore ?? now,
    input.broadcastId ?? null,
    now,
    now,
  );
  if (inserted.changes === 0) return null;
  if (input.transcript !== false && !TRANSCRIPT_AT_SEND.has(input.kind)) {
    s.transcript.run(input.author ?? "bot", input.text, input.kind, input.staffUserId ?? null, now, input.residentId);
  }
  return id;
}

/** A delivery claimed for sending (status 'sending', attempts already counted). */
export interface ClaimedDelivery {
  id: string;
  dedupeKey: string;
  residentId: string;
  /** The resident's id on their channel (null if the resident row vanished). */
  userId: string | null;
  channel: ChannelId;
  kind: ProactiveKind;
  text: string;
  attempts: number;
  notBefore: number;
  broadcastId: string | null;
  /** The resident's switches now (they may have changed since the message was queued). */
  remindersOptOut: boolean;
  acceptsNotices: boolean;
  broadcastStatus: string | null;
}

const RETURNING = `RETURNING id, dedupeKey, residentId, channel, kind, text, attempts, notBefore, broadcastId,
  (SELECT r.channelUserId FROM "Resident" r WHERE r.id = "Delivery".residentId) AS userId,
  (SELECT r.remindersOptOut FROM "Resident" r WHERE r.id = "Delivery".residentId) AS remindersOptOut,
  (SELECT r.acceptsNotices FROM "Resident" r WHERE r.id = "Delivery".residentId) AS acceptsNotices,
  (SELECT b.status FROM "Broadcast" b WHERE b.id = "Delivery".broadcastId) AS broadcastStatus`;

type Row = Record<string, unknown>;

function toClaimed(r: Row): ClaimedDelivery {
  return {
    id: r.id as string,
    dedupeKey: r.dedupeKey as string,
    residentId: r.residentId as string,
    userId: (r.userId as string | null) ?? null,
    channel: r.channel as ChannelId,
    kind: r.kind as ProactiveKind,
    text: r.text as string,
    attempts: Number(r.attempts),
    notBefore: Number(r.notBefore),
    broadcastId: (r.broadcastId as string | null) ?? null,
    remindersOptOut: Boolean(r.remindersOptOut),
    acceptsNotices: r.acceptsNotices == null ? true : Boolean(r.acceptsNotices),
    broadcastStatus: (r.broadcastStatus as string | null) ?? null,
  };
}

/**
 * The dispatcher's statements on the "Delivery" table. Work is claimed with one statement
 * (UPDATE … WHERE id IN (SELECT … LIMIT n) AND status = 'pending' RETURNING …), so two
 * dispatchers can never claim the same delivery. Portable to PostgreSQL (RETURNING, no UPSERT quirks).
 */
export class OutboxStore {
  private readonly claimDirect: Database.Statement;
  private readonly claimStaffOnly: Database.Statement;
  private readonly claimBroadcast: Database.Statement;
  private readonly sent: Database.Statement;
  private readonly transcriptOnSend: Database.Statement;
  private readonly retry: Database.Statement;
  private readonly fail: Database.Statement;
  private readonly release: Database.Statement;
  private readonly recoverIdempotent: Database.Statement;
  private readonly recoverUnknown: Database.Statement;
  private readonly sendingChannels: Database.Statement;
  private readonly markSentTx: (id: string, now: number) => boolean;

  constructor(sql: Database.Database) {
    // Deliveries that are not part of a broadcast (staff replies, notices, reminders) go first:
    // a resident waiting for an answer is never stuck behind a million-recipient broadcast.
    // The (broadcastId, status) index finds them; the (status, channel, notBefore) index
    // walks broadcasts in order.
    this.claimDirect = sql.prepare(`
      UPDATE "Delivery" SET status = 'sending', attempts = attempts + 1, updatedAt = ?
      WHERE id IN (SELECT id FROM "Delivery" WHERE broadcastId IS NULL AND status = 'pending' AND channel = ? AND notBefore <= ?
                   ORDER BY notBefore, createdAt LIMIT ?)
        AND status = 'pending' ${RETURNING}`);
    this.claimStaffOnly = sql.prepare(`
      UPDATE "Delivery" SET status = 'sending', attempts = attempts + 1, updatedAt = ?
      WHERE id IN (SELECT id FROM "Delivery" WHERE broadcastId IS NULL AND status = 'pending' AND channel = ? AND notBefore <= ?
                   AND kind = 'staff' ORDER BY notBefore, createdAt LIMIT ?)
        AND status = 'pending' ${RETURNING}`);
    this.claimBroadcast = sql.prepare(`
      UPDATE "Delivery" SET status = 'sending', attempts = attempts + 1, updatedAt = ?
      WHERE id IN (SELECT id FROM "Delivery" WHERE status = 'pending' AND channel = ? AND notBefore <= ? AND broadcastId IS NOT NULL
                   ORDER BY notBefore LIMIT ?)
        AND status = 'pending' ${RETURNING}`);
    this.sent = sql.prepare(
      `UPDATE "Delivery" SET status = 'sent', sentAt = ?, updatedAt = ?, lastError = NULL WHERE id = ? AND status = 'sending'`,
    );
    this.transcriptOnSend = sql.prepare(`
      INSERT INTO "Message" (conversationId, residentId, direction, author, text, intent, createdAt)
      SELECT c.id, c.residentId, 'out', 'bot', d.text, d.kind, ?
      FROM "Delivery" d JOIN "Conversation" c ON c.residentId = d.residentId
      WHERE d.id = ? AND d.kind IN ('reminder', 'broadcast')`);
    this.retry = sql.prepare(
      `UPDATE "Delivery" SET status = 'pending', notBefore = ?, lastError = ?, attempts = attempts - ?, updatedAt = ? WHERE id = ? AND status = 'sending'`,
    );
    this.fail = sql.prepare(`UPDATE "Delivery" SET status = ?, lastError = ?, updatedAt = ? WHERE id = ? AND status = 'sending'`);
    this.release = sql.prepare(
      `UPDATE "Delivery" SET status = 'pending', attempts = attempts - 1, updatedAt = ? WHERE id = ? AND status = 'sending'`,
    );
    this.recoverIdempotent = sql.prepare(
      `UPDATE "Delivery" SET status = 'pending', updatedAt = ? WHERE status = 'sending' AND channel = ?`,
    );
    this.recoverUnknown = sql.prepare(
      `UPDATE "Delivery" SET status = 'unknown', lastError = ?, updatedAt = ? WHERE status = 'sending' AND channel = ?`,
    );
    this.sendingChannels = sql.prepare(`SELECT DISTINCT channel FROM "Delivery" WHERE status = 'sending'`);
    this.markSentTx = sql.transaction((id: string, now: number) => {
      if (this.sent.run(now, now, id).changes !== 1) return false;
      this.transcriptOnSend.run(now, id);
      return true;
    });
  }

  /** Claims up to `limit` due deliveries of one channel; during quiet hours only staff replies. */
  claim(channel: ChannelId, now: number, limit: number, quiet: boolean): ClaimedDelivery[] {
    const direct = (quiet ? this.claimStaffOnly : this.claimDirect).all(now, channel, now, limit) as Row[];
    const rows = direct.map(toClaimed);
    if (!quiet && rows.length < limit) {
      rows.push(...(this.claimBroadcast.all(now, channel, now, limit - rows.length) as Row[]).map(toClaimed));
    }
    // RETURNING gives no order guarantee: keep the queue order.
    return rows.sort((a, b) => (a.broadcastId ? 1 : 0) - (b.broadcastId ? 1 : 0) || a.notBefore - b.notBefore);
  }

  /** Marks a claimed delivery sent (and writes reminders and broadcasts into the transcript). */
  markSent(id: string, now: number): boolean {
    return this.markSentTx(id, now);
  }

  /** Puts a claimed delivery back in the queue for another attempt at `notBefore`; `counted: false` gives the attempt back. */
  retryLater(id: string, notBefore: number, error: string, now: number, counted = true): void {
    this.retry.run(notBefore, error.slice(0, 500), counted ? 0 : 1, now, id);
  }

  markFailed(id: string, error: string, now: number): void {
    this.fail.run("failed", error.slice(0, 500), now, id);
  }

  /** Drops a claimed delivery that must not go out any more (the resident opted out meanwhile). */
  markCancelled(id: string, reason: string, now: number): void {
    this.fail.run("cancelled", reason, now, id);
  }

  /** The send may or may not have reached the resident (non-idempotent channel): staff decide. */
  markUnknown(id: string, error: string, now: number): void {
    this.fail.run("unknown", error.slice(0, 500), now, id);
  }

  /** Returns a claimed delivery that was never attempted (shutting down) to the queue. */
  releaseUnsent(id: string, now: number): void {
    this.release.run(now, id);
  }

  /**
   * After a restart, a delivery still 'sending' may or may not have reached the resident.
   * Idempotent channels resend it (the receiver de-duplicates on the id); on any other channel
   * it becomes 'unknown' for staff to look at, never sent twice.
   */
  recover(isIdempotent: (channel: ChannelId) => boolean, now: number): { requeued: number; unknown: number } {
    let requeued = 0;
    let unknown = 0;
    const channels = (this.sendingChannels.all() as { channel: ChannelId }[]).map((r) => r.channel);
    for (const channel of channels) {
      if (isIdempotent(channel)) requeued += this.recoverIdempotent.run(now, channel).changes;
      else
        unknown += this.recoverUnknown.run(
          "interrupted while sending (restart): it may or may not have arrived, so it is not sent again",
          now,
          channel,
        ).changes;
    }
    return { requeued, unknown };
  }
}

export interface DeliveryListItem {
  id: string;
  kind: ProactiveKind;
  channel: ChannelId;
  status: DeliveryStatus;
  text: string;
  attempts: number;
  lastError: string | null;
  broadcastId: string | null;
  conversationId: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Deliveries in the given statuses, most recently changed first (for staff: failed and unknown ones). */
export function listDeliveries(sql: Database.Database, statuses: readonly DeliveryStatus[], limit: number): DeliveryListItem[] {
  const rows = sql
    .prepare(`
      SELECT d.id, d.kind, d.channel, d.status, d.text, d.attempts, d.lastError, d.broadcastId, d.createdAt, d.updatedAt,
             (SELECT c.id FROM "Conversation" c WHERE c.residentId = d.residentId) AS conversationId
      FROM "Delivery" d WHERE d.status IN (${statuses.map(() => "?").join(", ")})
      ORDER BY d.updatedAt DESC LIMIT ?`)
    .all(...statuses, limit) as Record<string, unknown>[];
  return rows.map((r) => ({
    id: r.id as string,
    kind: r.kind as ProactiveKind,
    channel: r.channel as ChannelId,
    status: r.status as DeliveryStatus,
    text: r.text as string,
    attempts: Number(r.attempts),
    lastError: (r.lastError as string | null) ?? null,
    broadcastId: (r.broadcastId as string | null) ?? null,
    conversationId: (r.conversationId as string | null) ?? null,
    createdAt: Number(r.createdAt),
    updatedAt: Number(r.updatedAt),
  }));
}

/** Staff decided a failed or unknown delivery should go (again): back in the queue with fresh attempts. */
export function requeueDelivery(sql: Database.Database, id: string, now: number): boolean {
  return (
    sql
      .prepare(
        `UPDATE "Delivery" SET status = 'pending', attempts = 0, notBefore = ?, lastError = NULL, updatedAt = ?
         WHERE id = ? AND status IN ('failed', 'unknown')`,
      )
      .run(now, now, id).changes === 1
  );
}
