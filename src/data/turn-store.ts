import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { prepared } from "./prepared.ts";
import type { ConversationStatus, Reply, TurnResult } from "../dialog/types.ts";

/** What the engine needs to know about a resident to run one turn. */
export interface TurnSnapshot {
  residentId: string;
  conversationId: string;
  status: ConversationStatus;
  state: string;
  version: number;
  consentAt: number | null;
  acceptsNotices: boolean;
  remindersOptOut: boolean;
  district: string | null;
  rateWindowStart: number;
  rateCount: number;
  escalatedAt: number | null;
  lastHoldingAt: number | null;
  createdAt: number;
}

export interface ResidentPatch {
  consentAt?: number | null;
  consentVersion?: string | null;
  consentWithdrawnAt?: number | null;
  acceptsNotices?: boolean;
  remindersOptOut?: boolean;
  district?: string | null;
  displayName?: string | null;
}

export interface ConversationPatch {
  escalatedAt?: number | null;
  escalationReason?: string | null;
  lastHoldingAt?: number | null;
  claimedBy?: string | null;
}

/** A write a feature asks for, run inside the turn's transaction. */
export type TurnEffect = (tx: TurnTx) => void;
export interface TurnTx {
  sql: Database.Database;
  residentId: string;
  conversationId: string;
  channel: string;
  userId: string;
  now: number;
}

export interface TurnCommit {
  snapshot: TurnSnapshot;
  channel: string;
  userId: string;
  now: number;
  inbound: { text: string; intent: string; channelMessageId?: string | undefined };
  replies: Reply[];
  result: TurnResult;
  state: string;
  status: ConversationStatus;
  rate: { windowStart: number; count: number };
  resident?: ResidentPatch | undefined;
  conversation?: ConversationPatch | undefined;
  effects?: TurnEffect[] | undefined;
}

export class StaleConversationError extends Error {
  constructor() {
    super("conversation changed concurrently");
  }
}

export class DuplicateMessageError extends Error {
  constructor() {
    super("message already processed");
  }
}

type Row = Record<string, unknown>;
const num = (v: unknown): number | null => (v == null ? null : Number(v));

interface PendingCommit {
  commit: TurnCommit;
  resolve(ids: number[]): void;
  reject(err: unknown): void;
}

/**
 * The per-message hot path: a handful of prepared statements; each turn is atomic.
 * Prisma owns the schema; these statements name its tables and columns directly.
 *
 * Group commit: turns that finish in the same event-loop cycle are written in one SQLite
 * transaction, and every caller is answered only after that COMMIT. A turn that fails rolls back
 * alone (the batch is then retried turn by turn). One commit per batch instead of per turn is what
 * lets the service answer thousands of residents a second (see the README's Performance section).
 */
export class TurnStore {
  private readonly selectSnapshot: Database.Statement;
  private readonly selectDuplicate: Database.Statement;
  private readonly insertResident: Database.Statement;
  private readonly insertConversation: Database.Statement;
  private readonly updateResidentRate: Database.Statement;
  private readonly updateConversation: Database.Statement;
  private readonly updateConversationState: Database.Statement;
  private readonly insertMessage: Database.Statement;
  private readonly commitTx: (c: TurnCommit) => number[];
  private readonly batchTx: (batch: PendingCommit[]) => number[][];
  private pending: PendingCommit[] = [];
  private readonly createTx: (channel: string, userId: string, now: number, displayName: string | null) => void;

  constructor(private readonly sql: Database.Database) {
    this.selectSnapshot = sql.prepare(`
      SELECT r.id AS residentId, c.id AS conversationId, c.status, c.state, c.version,
             r.consentAt, r.acceptsNotices, r.remindersOptOut, r.district, r.rateWindowStart, r.rateCount,
             c.escalatedAt, c.lastHoldingAt, r.createdAt
      FROM "Resident" r JOIN "Conversation" c ON c.residentId = r.id
      WHERE r.channel = ? AND r.channelUserId = ?`);
    this.selectDuplicate = sql.prepare(
      `SELECT result FROM "Message" WHERE residentId = ? AND channelMessageId = ? AND result IS NOT NULL`,
    );
    this.insertResident = sql.prepare(`
      INSERT INTO "Resident" (id, channel, channelUserId, displayName, createdAt, lastSeenAt)
      VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(channel, channelUserId) DO NOTHING`);
    this.insertConversation = sql.prepare(`
      INSERT INTO "Conversation" (id, residentId, status, state, version, createdAt, updatedAt, lastMessageAt)
      SELECT ?, r.id, 'bot', '{}', 0, ?, ?, ? FROM "Resident" r WHERE r.channel = ? AND r.channelUserId = ?
      ON CONFLICT(residentId) DO NOTHING`);
    this.updateResidentRate = sql.prepare(
      `UPDATE "Resident" SET rateWindowStart = ?, rateCount = ?, lastSeenAt = ? WHERE id = ?`,
    );
    this.updateConversation = sql.prepare(`
      UPDATE "Conversation" SET status = ?, state = ?, version = version + 1, updatedAt = ?, lastMessageAt = ?
      WHERE id = ? AND version = ?`);
    // Most turns keep the status: leaving it out of SET spares the status index a write.
    this.updateConversationState = sql.prepare(`
      UPDATE "Conversation" SET state = ?, version = version + 1, updatedAt = ?, lastMessageAt = ?
      WHERE id = ? AND version = ?`);
    this.insertMessage = sql.prepare(`
      INSERT INTO "Message" (conversationId, residentId, direction, author, text, intent, sources, choices,
                             channelMessageId, result, createdAt)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);

    this.createTx = sql.transaction((channel: string, userId: string, now: number, displayName: string | null) => {
      this.insertResident.run(randomUUID(), channel, userId, displayName, now, now);
      this.insertConversation.run(randomUUID(), now, now, now, channel, userId);
    });

    const writeTurn = (c: TurnCommit): number[] => {
      const s = c.snapshot;
      this.updateResidentRate.run(c.rate.windowStart, c.rate.count, c.now, s.residentId);
      if (c.resident) this.patchResident(s.residentId, c.resident);
      const changed =
        c.status === s.status
          ? this.updateConversationState.run(c.state, c.now, c.now, s.conversationId, s.version)
          : this.updateConversation.run(c.status, c.state, c.now, c.now, s.conversationId, s.version);
      if (changed.changes !== 1) throw new StaleConversationError();
      if (c.conversation) this.patchConversation(s.conversationId, c.conversation);
      // The inbound message's id comes first, then the replies' ids.
      const ids: number[] = [];
      try {
        const inbound = this.insertMessage.run(
          s.conversationId,
          s.residentId,
          "in",
          "resident",
          c.inbound.text,
          c.inbound.intent,
          null,
          null,
          c.inbound.channelMessageId ?? null,
          c.inbound.channelMessageId ? JSON.stringify(c.result) : null,
          c.now,
        );
        ids.push(Number(inbound.lastInsertRowid));
      } catch (err) {
        if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") throw new DuplicateMessageError();
        throw err;
      }
      for (const reply of c.replies) {
        const info = this.insertMessage.run(
          s.conversationId,
          s.residentId,
          "out",
          "bot",
          reply.text,
          reply.intent,
          reply.sources?.length ? JSON.stringify(reply.sources) : null,
          reply.choices?.length ? JSON.stringify(reply.choices) : null,
          null,
          null,
          c.now,
        );
        ids.push(Number(info.lastInsertRowid));
      }
      const tx: TurnTx = {
        sql: this.sql,
        residentId: s.residentId,
        conversationId: s.conversationId,
        channel: c.channel,
        userId: c.userId,
        now: c.now,
      };
      for (const effect of c.effects ?? []) effect(tx);
      return ids;
    };
    this.commitTx = sql.transaction(writeTurn);
    // The turns of one event-loop cycle in one transaction, without a savepoint each: if any of
    // them fails (a stale version, a duplicate racing in), the whole batch rolls back and flush()
    // commits the turns one by one, so only the failing turn fails. Failures are rare.
    this.batchTx = sql.transaction((batch: PendingCommit[]) => batch.map((p) => writeTurn(p.commit)));
  }

  /** Loads (creating on first contact) the resident and their conversation. */
  snapshot(channel: string, userId: string, now: number, displayName?: string): TurnSnapshot {
    let row = this.selectSnapshot.get(channel, userId) as Row | undefined;
    if (!row) {
      this.createTx(channel, userId, now, displayName ?? null);
      row = this.selectSnapshot.get(channel, userId) as Row;
    }
    return {
      residentId: row.residentId as string,
      conversationId: row.conversationId as string,
      status: row.status as ConversationStatus,
      state: row.state as string,
      version: Number(row.version),
      consentAt: num(row.consentAt),
      acceptsNotices: Boolean(row.acceptsNotices),
      remindersOptOut: Boolean(row.remindersOptOut),
      district: (row.district as string | null) ?? null,
      rateWindowStart: Number(row.rateWindowStart),
      rateCount: Number(row.rateCount),
      escalatedAt: num(row.escalatedAt),
      lastHoldingAt: num(row.lastHoldingAt),
      createdAt: Number(row.createdAt),
    };
  }

  /** The stored result of an already processed channel message, if any. */
  duplicate(residentId: string, channelMessageId: string): TurnResult | null {
    const row = this.selectDuplicate.get(residentId, channelMessageId) as { result: string } | undefined;
    return row ? (JSON.parse(row.result) as TurnResult) : null;
  }

  /**
   * Persists one turn atomically, together with the other turns of this event-loop cycle;
   * resolves with the ids of the stored messages (inbound first, then the replies) once they are committed.
   */
  commit(c: TurnCommit): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ commit: c, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 1) {
      try {
        const ids = this.batchTx(batch);
        for (const [i, p] of batch.entries()) p.resolve(ids[i]!);
        return;
      } catch {
        // Something in the batch failed and nothing of it was stored: commit turn by turn below.
      }
    }
    for (const p of batch) {
      try {
        p.resolve(this.commitTx(p.commit));
      } catch (err) {
        p.reject(err);
      }
    }
  }

  private patchResident(id: string, patch: ResidentPatch): void {
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
    if (!entries.length) return;
    const sets = entries.map(([k]) => `"${k}" = ?`).join(", ");
    const values = entries.map(([, v]) => (typeof v === "boolean" ? (v ? 1 : 0) : v));
    prepared(this.sql, `UPDATE "Resident" SET ${sets} WHERE id = ?`).run(...values, id);
  }

  private patchConversation(id: string, patch: ConversationPatch): void {
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
    if (!entries.length) return;
    const sets = entries.map(([k]) => `"${k}" = ?`).join(", ");
    prepared(this.sql, `UPDATE "Conversation" SET ${sets} WHERE id = ?`).run(...entries.map(([, v]) => v), id);
  }
}
