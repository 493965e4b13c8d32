import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { ConversationStatus } from "../domain/types.ts";
import type { Database, Executor } from "./db.ts";
import { ConflictError } from "./errors.ts";
import { ensureConversation } from "./turn-store.ts";

export interface QueueRow {
  id: string;
  residentId: string;
  channel: string;
  userId: string;
  displayName: string | null;
  district: string | null;
  status: string;
  escalatedAt: number | null;
  escalationReason: string | null;
  claimedBy: string | null;
  claimedByName: string | null;
  lastMessageAt: number;
  lastResidentText: string | null;
}

export interface TranscriptRow {
  id: number;
  direction: string;
  author: string;
  text: string;
  intent: string | null;
  staffUserId: string | null;
  staffName: string | null;
  createdAt: number;
}

export interface NoteRow {
  id: string;
  text: string;
  staffUserId: string;
  staffName: string | null;
  createdAt: number;
}

export interface WebHistory {
  handoff: boolean;
  messages: {
    id: number;
    author: string;
    text: string;
    intent: string | null;
    sources?: { id: string; title: string }[];
    choices?: string[];
    createdAt: number;
  }[];
}

export interface TransitionPatch {
  status: ConversationStatus;
  claimedBy?: string | null | undefined;
  escalatedAt?: number | null | undefined;
  escalationReason?: string | null | undefined;
  lastHoldingAt?: number | null | undefined;
  state?: string | undefined;
  /** Only if the conversation is still claimed by this staff member (null: by nobody); undefined: whoever. */
  ifClaimedBy?: string | null | undefined;
}

/** Residents, their conversation and its transcript, as staff and the web chat read them. */
export class ConversationRepo {
  constructor(private readonly db: Database) {}

  /**
   * The resident for (channel, userId), created with their conversation if they have never
   * written yet — a reminder can then be delivered, and their first message finds the same rows.
   */
  async ensureResident(channel: string, userId: string, now: number, tx: Executor = this.db.k): Promise<string> {
    const existing = await tx
      .selectFrom("Resident")
      .select("id")
      .where("channel", "=", channel)
      .where("channelUserId", "=", userId)
      .executeTakeFirst();
    if (existing) return existing.id;
    await tx
      .insertInto("Resident")
      .values({ id: randomUUID(), channel, channelUserId: userId, createdAt: now, lastSeenAt: now })
      .onConflict((oc) => oc.columns(["channel", "channelUserId"]).doNothing())
      .execute();
    await ensureConversation(tx, channel, userId, now);
    const row = await tx
      .selectFrom("Resident")
      .select("id")
      .where("channel", "=", channel)
      .where("channelUserId", "=", userId)
      .executeTakeFirstOrThrow();
    return row.id;
  }

  private queueSelect() {
    return this.db.k
      .selectFrom("Conversation as c")
      .innerJoin("Resident as r", "r.id", "c.residentId")
      .leftJoin("StaffUser as u", "u.id", "c.claimedBy")
      .select((eb) => [
        "c.id",
        "c.residentId",
        "r.channel",
        "r.channelUserId as userId",
        "r.displayName",
        "r.district",
        "c.status",
        "c.escalatedAt",
        "c.escalationReason",
        "c.claimedBy",
        "u.username as claimedByName",
        "c.lastMessageAt",
        eb
          .selectFrom("Message as m")
          .select("m.text")
          .whereRef("m.conversationId", "=", "c.id")
          .where("m.direction", "=", "in")
          .orderBy("m.id", "desc")
          .limit(1)
          .as("lastResidentText"),
      ]);
  }

  /** Conversations in one status; escalated and staff ones oldest escalation first (the queue order). */
  async listByStatus(status: string, limit: number): Promise<QueueRow[]> {
    let query = this.queueSelect().where("c.status", "=", status);
    query =
      status === "escalated" || status === "staff"
        ? query.orderBy(sql`c."escalatedAt" IS NULL`).orderBy("c.escalatedAt", "asc").orderBy("c.id")
        : query.orderBy("c.lastMessageAt", "desc");
    return query.limit(limit).execute();
  }

  async find(id: string): Promise<(QueueRow & { state: string; version: number }) | null> {
    const row = await this.queueSelect().select(["c.state", "c.version"]).where("c.id", "=", id).executeTakeFirst();
    return row ?? null;
  }

  /** The last `limit` messages of a conversation, oldest first. */
  async messages(conversationId: string, limit: number): Promise<TranscriptRow[]> {
    const rows = await this.db.k
      .selectFrom("Message as m")
      .leftJoin("StaffUser as u", "u.id", "m.staffUserId")
      .select([
        "m.id",
        "m.direction",
        "m.author",
        "m.text",
        "m.intent",
        "m.staffUserId",
        "u.username as staffName",
        "m.createdAt",
      ])
      .where("m.conversationId", "=", conversationId)
      .orderBy("m.id", "desc")
      .limit(limit)
      .execute();
    return rows.reverse();
  }

  async notes(conversationId: string): Promise<NoteRow[]> {
    return this.db.k
      .selectFrom("StaffNote as n")
      .leftJoin("StaffUser as u", "u.id", "n.staffUserId")
      .select(["n.id", "n.text", "n.staffUserId", "u.username as staffName", "n.createdAt"])
      .where("n.conversationId", "=", conversationId)
      .orderBy("n.createdAt")
      .orderBy("n.id")
      .execute();
  }

  async addNote(tx: Executor, note: { id: string; conversationId: string; staffUserId: string; text: string }, now: number) {
    await tx
      .insertInto("StaffNote")
      .values({ ...note, createdAt: now })
      .execute();
  }

  async ofResident(residentId: string): Promise<{ id: string; state: string; version: number } | null> {
    const row = await this.db.k
      .selectFrom("Conversation")
      .select(["id", "state", "version"])
      .where("residentId", "=", residentId)
      .executeTakeFirst();
    return row ?? null;
  }

  /**
   * Moves a conversation between statuses if it is still in `ifStatus` (the caller checked the
   * transition), else ConflictError. Bumps the version, so a resident's turn that read the old
   * state runs again.
   */
  async transition(tx: Executor, id: string, ifStatus: string, patch: TransitionPatch, now: number): Promise<void> {
    const set: Record<string, unknown> = { status: patch.status, updatedAt: now };
    for (const key of ["claimedBy", "escalatedAt", "escalationReason", "lastHoldingAt", "state"] as const) {
      if (patch[key] !== undefined) set[key] = patch[key];
    }
    let update = tx
      .updateTable("Conversation")
      .set({ ...set, version: sql`version + 1` })
      .where("id", "=", id)
      .where("status", "=", ifStatus);
    if (patch.ifClaimedBy !== undefined) update = update.where("claimedBy", "is not distinct from", patch.ifClaimedBy);
    const result = await update.executeTakeFirst();
    if (result.numUpdatedRows !== 1n) throw new ConflictError("conversation");
  }

  /** A resident queued for staff (the dashboard's handoffs and waiting times). */
  async openHandoff(tx: Executor, conversationId: string, reason: string | null, now: number): Promise<void> {
    await tx.insertInto("Handoff").values({ id: randomUUID(), conversationId, reason, escalatedAt: now }).execute();
  }

  /**
   * A person took the conversation from the queue: the wait of the escalation that queued it
   * (the handoff opened at `escalatedAt`) ends now. An escalation the resident cancelled stays
   * unclaimed.
   */
  async claimHandoff(tx: Executor, conversationId: string, escalatedAt: number, staffUserId: string, now: number): Promise<void> {
    await tx
      .updateTable("Handoff")
      .set({ claimedAt: now, claimedBy: staffUserId })
      .where("conversationId", "=", conversationId)
      .where("escalatedAt", "=", escalatedAt)
      .where("claimedAt", "is", null)
      .execute();
  }

  /** Sets top-level keys of the resident's dialog state (read and written in the same transaction). */
  async mergeState(tx: Executor, residentId: string, values: Record<string, unknown>, now: number): Promise<void> {
    const row = await tx
      .selectFrom("Conversation")
      .select(["id", "state"])
      .where("residentId", "=", residentId)
      .executeTakeFirst();
    if (!row) return;
    let state: Record<string, unknown> = {};
    try {
      state = JSON.parse(row.state) as Record<string, unknown>;
    } catch {
      // an unreadable state starts afresh
    }
    await tx
      .updateTable("Conversation")
      .set({ state: JSON.stringify({ ...state, ...values }), version: sql`version + 1`, updatedAt: now })
      .where("id", "=", row.id)
      .execute();
  }

  /** A resident's transcript after a message id, oldest first (web chat history and polling). */
  async webHistory(channel: string, userId: string, after: number, limit = 100): Promise<WebHistory> {
    const k = this.db.k;
    const [rows, conversation] = await Promise.all([
      k
        .selectFrom("Message as m")
        .innerJoin("Resident as r", "r.id", "m.residentId")
        .select(["m.id", "m.author", "m.text", "m.intent", "m.sources", "m.choices", "m.createdAt"])
        .where("r.channel", "=", channel)
        .where("r.channelUserId", "=", userId)
        .where("m.id", ">", after)
        .orderBy("m.id", "desc")
        .limit(limit)
        .execute(),
      k
        .selectFrom("Conversation as c")
        .innerJoin("Resident as r", "r.id", "c.residentId")
        .select("c.status")
        .where("r.channel", "=", channel)
        .where("r.channelUserId", "=", userId)
        .executeTakeFirst(),
    ]);
    const status = conversation?.status ?? "bot";
    return {
      handoff: status === "escalated" || status === "staff",
      messages: rows.reverse().map((r) => ({
        id: r.id,
        author: r.author,
        text: r.text,
        intent: r.intent,
        ...(r.sources ? { sources: JSON.parse(r.sources) } : {}),
        ...(r.choices ? { choices: JSON.parse(r.choices) } : {}),
        createdAt: r.createdAt,
      })),
    };
  }
}
