import { randomUUID } from "node:crypto";
import { CompiledQuery, sql } from "kysely";
import type { ConversationPatch, Effect, ResidentPatch } from "../domain/effects.ts";
import type { ConversationStatus, Reply, TurnResult } from "../domain/types.ts";
import { type Database, type Executor, isUniqueViolation } from "./db.ts";
import { DuplicateMessageError, isTransientConflict, StaleConversationError } from "./errors.ts";
import { prepare, type Prepared } from "./prepared.ts";
import type { SqliteSync } from "./sqlite.ts";

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

/** What the conversation row gets on every turn. */
type StateValues = {
  state: string;
  windowStart: number;
  count: number;
  now: number;
  id: string;
  version: number;
};

const MESSAGE_FIELDS = ["direction", "author", "text", "intent", "sources", "choices", "channelMessageId", "result"] as const;

/** The inbound message first, then the replies, as the Message table stores them. */
function messageRows(c: TurnCommit): Record<string, unknown>[] {
  const { conversationId, residentId } = c.snapshot;
  const now = c.now;
  const rows: Record<string, unknown>[] = [
    {
      conversationId,
      residentId,
      now,
      direction: "in",
      author: "resident",
      text: c.inbound.text,
      intent: c.inbound.intent,
      sources: null,
      choices: null,
      channelMessageId: c.inbound.channelMessageId ?? null,
      result: c.inbound.channelMessageId ? JSON.stringify(c.result) : null,
    },
  ];
  for (const reply of c.replies) {
    rows.push({
      conversationId,
      residentId,
      now,
      direction: "out",
      author: "bot",
      text: reply.text,
      intent: reply.intent,
      sources: reply.sources?.length ? JSON.stringify(reply.sources) : null,
      choices: reply.choices?.length ? JSON.stringify(reply.choices) : null,
      channelMessageId: null,
      result: null,
    });
  }
  return rows;
}

/**
 * The per-message hot path. A turn reads one snapshot (one query: resident, conversation and a
 * possible earlier result for the same message id) and writes a fixed handful of statements:
 * the conversation with its rate window (checked by version), the messages (one multi-row
 * insert) and the turn's effects; the resident's row only when the turn changes it.
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
  private readonly updateState: Prepared<StateValues, unknown>;
  private readonly updateStatus: Prepared<StateValues & { status?: string }, unknown>;
  private readonly inserts = new Map<number, Prepared<Record<string, unknown>, { id: number }>>();
  private readonly insertOne: Prepared<Record<string, unknown>, unknown>;
  private readonly patches = new Map<string, PatchStatement>();

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
          "c.rateWindowStart",
          "c.rateCount",
          "c.escalatedAt",
          "c.lastHoldingAt",
          "r.createdAt",
          "m.result as duplicate",
        ])
        .where("r.channel", "=", p("channel"))
        .where("r.channelUserId", "=", p("userId")),
    );
    // Most turns keep the status: leaving it out of SET spares the status index a write. The rate
    // window is on this row too, so a turn updates one row, not the resident's as well.
    const conversationUpdate = (withStatus: boolean) =>
      prepare<StateValues & { status?: string }, unknown>((p) =>
        k
          .updateTable("Conversation")
          .set({
            ...(withStatus ? { status: p("status") as string } : {}),
            state: p("state"),
            version: sql`version + 1`,
            rateWindowStart: p("windowStart"),
            rateCount: p("count"),
            updatedAt: p("now"),
            lastMessageAt: p("now"),
          })
          .where("id", "=", p("id"))
          .where("version", "=", p("version")),
      );
    this.updateState = conversationUpdate(false);
    this.updateStatus = conversationUpdate(true);
    this.insertOne = prepare((p) =>
      k.insertInto("Message").values({
        conversationId: p("conversationId") as string,
        residentId: p("residentId") as string,
        direction: p("direction") as string,
        author: p("author") as string,
        text: p("text") as string,
        intent: p("intent") as string | null,
        sources: p("sources") as string | null,
        choices: p("choices") as string | null,
        channelMessageId: p("channelMessageId") as string | null,
        result: p("result") as string | null,
        createdAt: p("now") as number,
      }),
    );
  }

  /** Loads (creating on first contact) the resident and their conversation, and any stored result for `messageId`. */
  async snapshot(channel: string, userId: string, now: number, displayName?: string, messageId?: string): Promise<TurnSnapshot> {
    const k = this.db.k;
    const params = { channel, userId, messageId: messageId ?? null };
    let row = await this.readSnapshot(params);
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
      row = await this.readSnapshot(params);
      if (!row) throw new Error("resident vanished right after it was created");
    }
    return {
      residentId: row.residentId as string,
      conversationId: row.conversationId as string,
      status: row.status as ConversationStatus,
      state: row.state as string,
      version: Number(row.version),
      consentAt: numberOrNull(row.consentAt),
      acceptsNotices: Boolean(row.acceptsNotices),
      remindersOptOut: Boolean(row.remindersOptOut),
      district: (row.district as string | null) ?? null,
      rateWindowStart: Number(row.rateWindowStart),
      rateCount: Number(row.rateCount),
      escalatedAt: numberOrNull(row.escalatedAt),
      lastHoldingAt: numberOrNull(row.lastHoldingAt),
      createdAt: Number(row.createdAt),
      duplicate: row.duplicate ? (JSON.parse(row.duplicate as string) as TurnResult) : null,
    };
  }

  private async readSnapshot(params: {
    channel: string;
    userId: string;
    messageId: string | null;
  }): Promise<MessageRow | undefined> {
    const sync = this.db.sync;
    // SQLite, and no transaction open on the connection: read at once (a few µs instead of the
    // async executor's lock and promises). Otherwise through Kysely, which waits for the transaction.
    if (sync && !sync.inTransaction) return sync.all(this.selectSnapshot.sql, this.selectSnapshot.parameters(params))[0];
    return (await this.selectSnapshot.run(this.db.k, params)).rows[0];
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
    // The same row order in every instance's batches: two batches touching the same residents
    // then wait for each other instead of deadlocking.
    batch.sort((a, b) => (a.commit.snapshot.conversationId < b.commit.snapshot.conversationId ? -1 : 1));
    const sync = this.db.sync;
    if (sync) {
      const withEffects = batch.some((p) => p.commit.effects?.length);
      if (!withEffects && !sync.inTransaction) {
        // SQLite, a plain batch: written synchronously from BEGIN to COMMIT, so nothing else can
        // run on the connection in between, without Kysely's lock or a promise per statement.
        this.commitAllSync(batch, sync);
        return;
      }
      // Effects run through Kysely: hold the one connection for the whole batch, on it.
      await this.db.k.connection().execute((conn) =>
        this.commitAll(batch, async (turns) => {
          sync.exec("BEGIN IMMEDIATE");
          try {
            const ids: number[][] = [];
            for (const c of turns) {
              ids.push(this.writeTurnSync(sync, c));
              await this.applyEffects(conn, c);
            }
            sync.exec("COMMIT");
            return ids;
          } catch (err) {
            if (sync.inTransaction) sync.exec("ROLLBACK");
            throw err;
          }
        }),
      );
      return;
    }
    await this.commitAll(batch, (turns) =>
      this.db.k.transaction().execute(async (tx) => {
        const ids: number[][] = [];
        for (const c of turns) {
          ids.push(await this.writeTurn(tx, c));
          await this.applyEffects(tx, c);
        }
        return ids;
      }),
    );
  }

  /** commitAll, synchronously (SQLite batches without effects). */
  private commitAllSync(batch: PendingCommit[], sync: SqliteSync): void {
    if (batch.length > 1) {
      try {
        const ids = this.inTransactionSync(
          sync,
          batch.map((p) => p.commit),
        );
        for (const [i, p] of batch.entries()) p.resolve(ids[i]!);
        return;
      } catch {
        // Nothing of the batch was stored: turn by turn below.
      }
    }
    for (const p of batch) {
      try {
        p.resolve(this.inTransactionSync(sync, [p.commit])[0]!);
      } catch (err) {
        p.reject(isTransientConflict(err) ? new StaleConversationError() : err);
      }
    }
  }

  /** Turns written from BEGIN to COMMIT on SQLite; rolled back as a whole if one fails. */
  private inTransactionSync(sync: SqliteSync, turns: TurnCommit[]): number[][] {
    sync.exec("BEGIN IMMEDIATE");
    try {
      const ids = turns.map((c) => this.writeTurnSync(sync, c));
      sync.exec("COMMIT");
      return ids;
    } catch (err) {
      if (sync.inTransaction) sync.exec("ROLLBACK");
      throw err;
    }
  }

  /** The batch in one transaction; if that fails, turn by turn, so only a failing turn fails. */
  private async commitAll(batch: PendingCommit[], inTransaction: (turns: TurnCommit[]) => Promise<number[][]>): Promise<void> {
    if (batch.length > 1) {
      try {
        const ids = await inTransaction(batch.map((p) => p.commit));
        for (const [i, p] of batch.entries()) p.resolve(ids[i]!);
        return;
      } catch {
        // Something in the batch failed and nothing of it was stored: commit turn by turn below.
      }
    }
    for (const p of batch) {
      try {
        p.resolve((await inTransaction([p.commit]))[0]!);
      } catch (err) {
        // A deadlock or a busy database aborted the turn: nothing was stored, so the engine runs
        // it again on fresh state, as after a lost race.
        p.reject(isTransientConflict(err) ? new StaleConversationError() : err);
      }
    }
  }

  /** A turn's own rows (PostgreSQL, through Kysely): conversation (by version), resident if it changed, messages. */
  private async writeTurn(tx: Executor, c: TurnCommit): Promise<number[]> {
    const s = c.snapshot;
    const changed =
      c.status === s.status
        ? await this.updateState.run(tx, this.stateValues(c))
        : await this.updateStatus.run(tx, { ...this.stateValues(c), status: c.status });
    if (changed.numAffectedRows !== 1n) throw new StaleConversationError();
    const resident = this.residentUpdate(c);
    if (resident) await tx.executeQuery(resident);
    const conversation = this.conversationUpdate(c);
    if (conversation) await tx.executeQuery(conversation);
    return this.insertMessages(tx, c);
  }

  /** The same on SQLite, synchronously, inside the transaction the caller opened. */
  private writeTurnSync(sync: SqliteSync, c: TurnCommit): number[] {
    const s = c.snapshot;
    const changed =
      c.status === s.status
        ? sync.run(this.updateState.sql, this.updateState.parameters(this.stateValues(c)))
        : sync.run(this.updateStatus.sql, this.updateStatus.parameters({ ...this.stateValues(c), status: c.status }));
    if (changed.changes !== 1) throw new StaleConversationError();
    const resident = this.residentUpdate(c);
    if (resident) sync.run(resident.sql, resident.parameters);
    const conversation = this.conversationUpdate(c);
    if (conversation) sync.run(conversation.sql, conversation.parameters);
    const ids: number[] = [];
    try {
      for (const row of messageRows(c)) ids.push(sync.run(this.insertOne.sql, this.insertOne.parameters(row)).lastInsertRowid);
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateMessageError();
      throw err;
    }
    return ids;
  }

  private stateValues(c: TurnCommit): StateValues {
    return {
      state: c.state,
      windowStart: c.rate.windowStart,
      count: c.rate.count,
      now: c.now,
      id: c.snapshot.conversationId,
      version: c.snapshot.version,
    };
  }

  /** The resident's row when the turn changes it (consent, switches). */
  private residentUpdate(c: TurnCommit): CompiledQuery | null {
    const patch = c.resident && defined(c.resident);
    if (!patch) return null;
    return this.patchStatement("Resident", patch, true).compiled({ ...patch, lastSeenAt: c.now, id: c.snapshot.residentId });
  }

  private conversationUpdate(c: TurnCommit): CompiledQuery | null {
    const patch = c.conversation && defined(c.conversation);
    if (!patch) return null;
    return this.patchStatement("Conversation", patch, false).compiled({ ...patch, id: c.snapshot.conversationId });
  }

  /**
   * `UPDATE <table> SET <the patch's columns> WHERE id = …`, compiled once per set of columns
   * (a handful ever occur): building and compiling it per turn cost tens of µs on consent turns.
   */
  private patchStatement(table: "Resident" | "Conversation", patch: object, touch: boolean): PatchStatement {
    const columns = Object.keys(patch);
    const key = `${table}:${columns.join(",")}`;
    let statement = this.patches.get(key);
    if (!statement) {
      const prepared = prepare<Record<string, unknown>, unknown>((p) => {
        const set: Record<string, unknown> = {};
        for (const column of columns) set[column] = p(column);
        if (touch) set.lastSeenAt = p("lastSeenAt");
        return this.db.k
          .updateTable(table)
          .set(set as never)
          .where("id", "=", p("id") as string);
      });
      statement = { compiled: (values) => CompiledQuery.raw(prepared.sql, prepared.parameters(values)) };
      this.patches.set(key, statement);
    }
    return statement;
  }

  private async applyEffects(tx: Executor, c: TurnCommit): Promise<void> {
    if (!c.effects?.length) return;
    const s = c.snapshot;
    const scope = {
      residentId: s.residentId,
      conversationId: s.conversationId,
      channel: c.channel,
      userId: c.userId,
      now: c.now,
    };
    await this.runEffects(tx, c.effects, scope, c.now);
  }

  /** The inbound message and the replies in one multi-row statement (one round trip); ids inbound first. */
  private async insertMessages(tx: Executor, c: TurnCommit): Promise<number[]> {
    const rows = messageRows(c);
    const values: Record<string, unknown> = {
      conversationId: c.snapshot.conversationId,
      residentId: c.snapshot.residentId,
      now: c.now,
    };
    rows.forEach((row, i) => {
      for (const key of MESSAGE_FIELDS) values[`${key}${i}`] = row[key];
    });
    try {
      const result = await this.insertStatement(rows.length).run(tx, values);
      // Ids are assigned in VALUES order; sort in case RETURNING is not.
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

const numberOrNull = (v: unknown): number | null => (v == null ? null : Number(v));

/** The patch without undefined keys (undefined means "leave as is"); null when nothing is left. */
function defined<T extends object>(patch: T): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  let any = false;
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    out[k] = v;
    any = true;
  }
  return any ? out : null;
}

interface PatchStatement {
  compiled(values: Record<string, unknown>): CompiledQuery;
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
