import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { ConversationPatch, Effect, ResidentPatch } from "../domain/effects.ts";
import type { ConversationStatus, Reply, TurnResult } from "../domain/types.ts";
import { type Database, type Executor, isUniqueViolation } from "./db.ts";
import { DuplicateMessageError, isTransientConflict, StaleConversationError } from "./errors.ts";
import { prepare, type Prepared } from "./prepared.ts";

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
  /** The stored result when this channel message was already processed. */
  duplicate: TurnResult | null;
}

/** Who a turn's effects act for. */
export interface TurnScope {
  residentId: string;
  conversationId: string;
  channel: string;
  userId: string;
  now: number;
}

/** Applies effects inside a transaction (Store.applyIn). */
export type EffectRunner = (tx: Executor, effects: readonly Effect[], scope: TurnScope | null, now: number) => Promise<void>;

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
  effects?: readonly Effect[] | undefined;
}

interface PendingCommit {
  commit: TurnCommit;
  resolve(ids: number[]): void;
  reject(err: unknown): void;
}

type MessageRow = Record<string, unknown>;

/**
 * The per-message hot path. A turn reads one snapshot (one query: resident, conversation and a
 * possible earlier result for the same message id) and writes a fixed handful of statements:
 * the resident's rate window, the conversation (checked by version), the messages (one
 * multi-row insert) and the turn's effects.
 *
 * Group commit: turns that finish while a commit is under way are written together in one
 * transaction, and every caller is answered only after that COMMIT. If a turn in the batch
 * fails (a stale version, a duplicate racing in), the batch rolls back and is committed turn by
 * turn, so only the failing turn fails. One commit per batch instead of per turn is what lets
 * the service answer thousands of residents a second (see the README's Performance section).
 */
export class TurnStore {
  private pending: PendingCommit[] = [];
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly selectSnapshot: Prepared<{ channel: string; userId: string; messageId: string | null }, MessageRow>;
  private readonly updateRate: Prepared<{ windowStart: number; count: number; now: number; id: string }, unknown>;
  private readonly updateState: Prepared<{ state: string; now: number; id: string; version: number }, unknown>;
  private readonly updateStatus: Prepared<{ status: string; state: string; now: number; id: string; version: number }, unknown>;
  private readonly inserts = new Map<number, Prepared<Record<string, unknown>, { id: number }>>();

  constructor(
    private readonly db: Database,
    private readonly runEffects: EffectRunner,
  ) {
    const k = db.k;
    // PostgreSQL takes several batches at once (a pool of connections); SQLite has one writer.
    this.maxInFlight = db.dialect === "postgres" ? 4 : 1;
    this.selectSnapshot = prepare((p) =>
      k
        .selectFrom("Resident as r")
        .innerJoin("Conversation as c", "c.residentId", "r.id")
        .leftJoin("Message as m", (join) =>
          join.onRef("m.residentId", "=", "r.id").on("m.channelMessageId", "=", p("messageId")).on("m.result", "is not", null),
        )
        .select([
          "r.id as residentId",
          "c.id as conversationId",
          "c.status",
          "c.state",
          "c.version",
          "r.consentAt",
          "r.acceptsNotices",
          "r.remindersOptOut",
          "r.district",
          "r.rateWindowStart",
          "r.rateCount",
          "c.escalatedAt",
          "c.lastHoldingAt",
          "r.createdAt",
          "m.result as duplicate",
        ])
        .where("r.channel", "=", p("channel"))
        .where("r.channelUserId", "=", p("userId")),
    );
    this.updateRate = prepare((p) =>
      k
        .updateTable("Resident")
        .set({ rateWindowStart: p("windowStart"), rateCount: p("count"), lastSeenAt: p("now") })
        .where("id", "=", p("id")),
    );
    // Most turns keep the status: leaving it out of SET spares the status index a write.
    this.updateState = prepare((p) =>
      k
        .updateTable("Conversation")
        .set({ state: p("state"), version: sql`version + 1`, updatedAt: p("now"), lastMessageAt: p("now") })
        .where("id", "=", p("id"))
        .where("version", "=", p("version")),
    );
    this.updateStatus = prepare((p) =>
      k
        .updateTable("Conversation")
        .set({ status: p("status"), state: p("state"), version: sql`version + 1`, updatedAt: p("now"), lastMessageAt: p("now") })
        .where("id", "=", p("id"))
        .where("version", "=", p("version")),
    );
  }

  /** Loads (creating on first contact) the resident and their conversation, and any stored result for `messageId`. */
  async snapshot(channel: string, userId: string, now: number, displayName?: string, messageId?: string): Promise<TurnSnapshot> {
    const k = this.db.k;
    const params = { channel, userId, messageId: messageId ?? null };
    let row = (await this.selectSnapshot.run(k, params)).rows[0];
    if (!row) {
      await k.transaction().execute(async (tx) => {
        await tx
          .insertInto("Resident")
          .values({
            id: randomUUID(),
            channel,
            channelUserId: userId,
            displayName: displayName ?? null,
            createdAt: now,
            lastSeenAt: now,
          })
          .onConflict((oc) => oc.columns(["channel", "channelUserId"]).doNothing())
          .execute();
        await ensureConversation(tx, channel, userId, now);
      });
      row = (await this.selectSnapshot.run(k, params)).rows[0];
      if (!row) throw new Error("resident vanished right after it was created");
    }
    const num = (v: unknown): number | null => (v == null ? null : Number(v));
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
      duplicate: row.duplicate ? (JSON.parse(row.duplicate as string) as TurnResult) : null,
    };
  }

  /**
   * Persists one turn atomically, together with the other turns committed meanwhile;
   * resolves with the ids of the stored messages (inbound first, then the replies) once committed.
   */
  commit(c: TurnCommit): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ commit: c, resolve, reject });
      if (this.inFlight < this.maxInFlight && this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight >= this.maxInFlight || !this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    this.inFlight++;
    try {
      await this.writeBatch(batch);
    } finally {
      this.inFlight--;
      if (this.pending.length) setImmediate(() => void this.flush());
    }
  }

  private async writeBatch(batch: PendingCommit[]): Promise<void> {
    const k = this.db.k;
    // The same row order in every instance's batches: two batches touching the same residents
    // then wait for each other instead of deadlocking.
    batch.sort((a, b) => (a.commit.snapshot.conversationId < b.commit.snapshot.conversationId ? -1 : 1));
    if (batch.length > 1) {
      try {
        const ids = await k.transaction().execute(async (tx) => {
          const out: number[][] = [];
          for (const p of batch) out.push(await this.writeTurn(tx, p.commit));
          return out;
        });
        for (const [i, p] of batch.entries()) p.resolve(ids[i]!);
        return;
      } catch {
        // Something in the batch failed and nothing of it was stored: commit turn by turn below.
      }
    }
    for (const p of batch) {
      try {
        p.resolve(await k.transaction().execute((tx) => this.writeTurn(tx, p.commit)));
      } catch (err) {
        // A deadlock or a busy database aborted the turn: nothing was stored, so the engine runs
        // it again on fresh state, as after a lost race.
        p.reject(isTransientConflict(err) ? new StaleConversationError() : err);
      }
    }
  }

  private async writeTurn(tx: Executor, c: TurnCommit): Promise<number[]> {
    const s = c.snapshot;
    if (c.resident && Object.values(c.resident).some((v) => v !== undefined)) {
      await tx
        .updateTable("Resident")
        .set({ ...defined(c.resident), rateWindowStart: c.rate.windowStart, rateCount: c.rate.count, lastSeenAt: c.now })
        .where("id", "=", s.residentId)
        .execute();
    } else {
      await this.updateRate.run(tx, { windowStart: c.rate.windowStart, count: c.rate.count, now: c.now, id: s.residentId });
    }
    const changed =
      c.status === s.status
        ? await this.updateState.run(tx, { state: c.state, now: c.now, id: s.conversationId, version: s.version })
        : await this.updateStatus.run(tx, {
            status: c.status,
            state: c.state,
            now: c.now,
            id: s.conversationId,
            version: s.version,
          });
    if (changed.numAffectedRows !== 1n) throw new StaleConversationError();
    if (c.conversation && Object.values(c.conversation).some((v) => v !== undefined)) {
      await tx.updateTable("Conversation").set(defined(c.conversation)).where("id", "=", s.conversationId).execute();
    }
    const ids = await this.insertMessages(tx, c);
    if (c.effects?.length) {
      const scope = {
        residentId: s.residentId,
        conversationId: s.conversationId,
        channel: c.channel,
        userId: c.userId,
        now: c.now,
      };
      await this.runEffects(tx, c.effects, scope, c.now);
    }
    return ids;
  }

  /** The inbound message and the replies in one statement; ids come back inbound first. */
  private async insertMessages(tx: Executor, c: TurnCommit): Promise<number[]> {
    const s = c.snapshot;
    const values: Record<string, unknown> = {};
    const rows: MessageRow[] = [
      {
        direction: "in",
        author: "resident",
        text: c.inbound.text,
        intent: c.inbound.intent,
        sources: null,
        choices: null,
        channelMessageId: c.inbound.channelMessageId ?? null,
        result: c.inbound.channelMessageId ? JSON.stringify(c.result) : null,
      },
      ...c.replies.map((reply) => ({
        direction: "out",
        author: "bot",
        text: reply.text,
        intent: reply.intent,
        sources: reply.sources?.length ? JSON.stringify(reply.sources) : null,
        choices: reply.choices?.length ? JSON.stringify(reply.choices) : null,
        channelMessageId: null,
        result: null,
      })),
    ];
    rows.forEach((row, i) => {
      for (const [key, value] of Object.entries(row)) values[`${key}${i}`] = value;
    });
    values.conversationId = s.conversationId;
    values.residentId = s.residentId;
    values.now = c.now;
    try {
      const result = await this.insertStatement(rows.length).run(tx, values);
      // Ids are assigned in VALUES order on both databases; sort in case RETURNING is not.
      return result.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateMessageError();
      throw err;
    }
  }

  private insertStatement(count: number): Prepared<Record<string, unknown>, { id: number }> {
    let statement = this.inserts.get(count);
    if (!statement) {
      const k = this.db.k;
      statement = prepare<Record<string, unknown>, { id: number }>((p) =>
        k
          .insertInto("Message")
          .values(
            Array.from({ length: count }, (_, i) => ({
              conversationId: p("conversationId") as string,
              residentId: p("residentId") as string,
              direction: p(`direction${i}`) as string,
              author: p(`author${i}`) as string,
              text: p(`text${i}`) as string,
              intent: p(`intent${i}`) as string | null,
              sources: p(`sources${i}`) as string | null,
              choices: p(`choices${i}`) as string | null,
              channelMessageId: p(`channelMessageId${i}`) as string | null,
              result: p(`result${i}`) as string | null,
              createdAt: p("now") as number,
            })),
          )
          .returning("id"),
      );
      this.inserts.set(count, statement);
    }
    return statement;
  }
}

/** The patch without undefined keys (undefined means "leave as is"). */
function defined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The resident's one conversation, created if missing (their first message, or a permit imported before it). */
export async function ensureConversation(ex: Executor, channel: string, userId: string, now: number): Promise<void> {
  const resident = await ex
    .selectFrom("Resident")
    .select("id")
    .where("channel", "=", channel)
    .where("channelUserId", "=", userId)
    .executeTakeFirst();
  if (!resident) return;
  await ex
    .insertInto("Conversation")
    .values({
      id: randomUUID(),
      residentId: resident.id,
      status: "bot",
      state: "{}",
      version: 0,
      createdAt: now,
      updatedAt: now,
      lastMessageAt: now,
    })
    .onConflict((oc) => oc.column("residentId").doNothing())
    .execute();
}
