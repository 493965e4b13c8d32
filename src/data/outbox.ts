import { type ExpressionBuilder, sql } from "kysely";
import type { AuditEntry } from "../domain/audit.ts";
import { type DeliveryClass, type DeliveryInput, type DeliveryStatus, TRANSCRIPT_AT_SEND } from "../domain/deliveries.ts";
import { orderedId } from "../domain/ids.ts";
import type { ChannelId, ProactiveKind } from "../domain/types.ts";
import type { AuditRepo } from "./audit.ts";
import type { Database, DB, Executor } from "./db.ts";

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

/** What handing a claimed delivery to its channel found. */
export type HandOver = "go" | "cancelled" | "lost";

const CLAIMED_COLUMNS = [
  "id",
  "dedupeKey",
  "residentId",
  "channel",
  "kind",
  "text",
  "attempts",
  "notBefore",
  "broadcastId",
] as const;

/**
 * The outbox: proactive messages written in the transaction that decided them, delivered by
 * src/outbox/dispatcher.ts. Several instances share it safely:
 *
 * - a delivery is claimed with one statement (PostgreSQL: FOR UPDATE SKIP LOCKED), which records
 *   the claiming instance and a lease; the owner renews its leases while it works;
 * - just before the channel is called, the owner "hands it over" with a conditional update that
 *   succeeds only while the claim is still its own, unexpired and not cancelled — so a message
 *   is never sent by an owner that may have lost it, and a cancelled broadcast stops at once;
 * - a claim past its lease (its owner died) is taken over: one never handed over goes back to
 *   the queue on any channel; one handed over is resent only on an idempotent channel and is
 *   otherwise 'unknown' for staff (WeChat has no de-duplication: never sent twice).
 */
export class OutboxRepo {
  constructor(
    private readonly db: Database,
    /** This instance's id: who claims. */
    readonly owner: string,
    private readonly audit: AuditRepo,
  ) {}

  /**
   * Records a proactive message (and, for staff replies and notices, the resident's transcript)
   * — inside the transaction of the decision to send. Returns the delivery id, or null when a
   * delivery with that dedupe key already exists (the decision was already taken).
   */
  async enqueue(tx: Executor, input: DeliveryInput, now: number): Promise<string | null> {
    const id = input.id ?? orderedId();
    const inserted = await tx
      .insertInto("Delivery")
      .values({
        id,
        dedupeKey: input.dedupeKey,
        residentId: input.residentId,
        channel: input.channel,
        kind: input.kind,
        text: input.text,
        status: "pending",
        attempts: 0,
        notBefore: input.notBefore ?? now,
        broadcastId: input.broadcastId ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .onConflict((oc) => oc.column("dedupeKey").doNothing())
      .executeTakeFirst();
    if (inserted.numInsertedOrUpdatedRows !== 1n) return null;
    if (input.transcript !== false && !TRANSCRIPT_AT_SEND.has(input.kind)) {
      const conversation = await tx
        .selectFrom("Conversation")
        .select("id")
        .where("residentId", "=", input.residentId)
        .executeTakeFirst();
      if (conversation) {
        await tx
          .insertInto("Message")
          .values({
            conversationId: conversation.id,
            residentId: input.residentId,
            direction: "out",
            author: input.author ?? "bot",
            text: input.text,
            intent: input.kind,
            staffUserId: input.staffUserId ?? null,
            createdAt: now,
          })
          .execute();
      }
    }
    return id;
  }

  /**
   * Records many proactive messages that enter the transcript only when sent (reminders), a
   * thousand rows per statement; returns how many were new.
   */
  async enqueueMany(tx: Executor, inputs: readonly DeliveryInput[], now: number): Promise<number> {
    let queued = 0;
    for (let i = 0; i < inputs.length; i += 1000) {
      const rows = inputs.slice(i, i + 1000).map((input) => {
        if (!TRANSCRIPT_AT_SEND.has(input.kind)) throw new Error("enqueueMany is for reminders and broadcasts");
        return {
          id: input.id ?? orderedId(),
          dedupeKey: input.dedupeKey,
          residentId: input.residentId,
          channel: input.channel,
          kind: input.kind,
          text: input.text,
          status: "pending",
          attempts: 0,
          notBefore: input.notBefore ?? now,
          broadcastId: input.broadcastId ?? null,
          createdAt: now,
          updatedAt: now,
        };
      });
      const inserted = await tx
        .insertInto("Delivery")
        .values(rows)
        .onConflict((oc) => oc.column("dedupeKey").doNothing())
        .executeTakeFirst();
      queued += Number(inserted.numInsertedOrUpdatedRows ?? 0n);
    }
    return queued;
  }

  /**
   * Claims up to `limit` due deliveries of one channel and class. Urgent: staff replies and
   * notices. Bulk: reminders first, then broadcasts; nothing bulk during quiet hours (staff
   * replies still go: they answer what the resident just asked; notices wait).
   */
  async claim(
    channel: ChannelId,
    cls: DeliveryClass,
    now: number,
    limit: number,
    quiet: boolean,
    leaseMs: number,
  ): Promise<ClaimedDelivery[]> {
    if (cls === "urgent") return this.claimWhere(channel, now, limit, leaseMs, quiet ? ["staff"] : ["staff", "notice"], false);
    if (quiet) return [];
    const rows = await this.claimWhere(channel, now, limit, leaseMs, ["reminder"], false);
    if (rows.length < limit)
      rows.push(...(await this.claimWhere(channel, now, limit - rows.length, leaseMs, ["broadcast"], true)));
    return rows;
  }

  private async claimWhere(
    channel: ChannelId,
    now: number,
    limit: number,
    leaseMs: number,
    kinds: ProactiveKind[],
    broadcast: boolean,
  ): Promise<ClaimedDelivery[]> {
    const k = this.db.k;
    // Non-broadcast rows are found through the (broadcastId, status) index, broadcasts in queue
    // order through (status, channel, notBefore): a resident waiting for an answer is never
    // stuck behind a million-recipient broadcast.
    let due = k
      .selectFrom("Delivery")
      .select("id")
      .where("status", "=", "pending")
      .where("channel", "=", channel)
      .where("notBefore", "<=", now)
      .where("kind", "in", kinds)
      .where("broadcastId", broadcast ? "is not" : "is", null)
      .orderBy("notBefore")
      .orderBy("createdAt")
      // Ids are time-ordered: messages queued in the same millisecond go in the order queued.
      .orderBy("id")
      .limit(limit);
    if (this.db.dialect === "postgres") due = due.forUpdate().skipLocked();
    // The chosen ids are fixed once (a materialized CTE): as a plain `IN (SELECT … LIMIT n)`,
    // PostgreSQL may run the subquery more than once and claim more than `limit` rows.
    const claimed = await k
      .with(
        (cte) => cte("due").materialized(),
        () => due,
      )
      .updateTable("Delivery")
      .set({
        status: "sending",
        attempts: sql`attempts + 1`,
        updatedAt: now,
        leaseOwner: this.owner,
        leaseUntil: now + leaseMs,
        handedAt: null,
      })
      .where("id", "in", (eb) => eb.selectFrom("due").select("due.id"))
      .where("status", "=", "pending")
      .returning(CLAIMED_COLUMNS)
      .execute();
    if (!claimed.length) return [];
    const residents = await k
      .selectFrom("Resident")
      .select(["id", "channelUserId", "remindersOptOut", "acceptsNotices"])
      .where(
        "id",
        "in",
        claimed.map((c) => c.residentId),
      )
      .execute();
    const byId = new Map(residents.map((r) => [r.id, r]));
    return claimed
      .map((c) => {
        const r = byId.get(c.residentId);
        return {
          ...c,
          channel: c.channel as ChannelId,
          kind: c.kind as ProactiveKind,
          userId: r?.channelUserId ?? null,
          remindersOptOut: Boolean(r?.remindersOptOut),
          acceptsNotices: r ? Boolean(r.acceptsNotices) : true,
        };
      })
      .sort((a, b) => a.notBefore - b.notBefore);
  }

  /**
   * The last step before calling the channel: succeeds only while this instance still holds an
   * unexpired claim and the broadcast (if any) was not cancelled. After this, the delivery is
   * "handed over" and a crash leaves it in doubt.
   */
  async handOver(id: string, now: number, leaseMs: number): Promise<HandOver> {
    const k = this.db.k;
    const result = await k
      .updateTable("Delivery")
      .set({ handedAt: now, leaseUntil: now + leaseMs, updatedAt: now })
      .where("id", "=", id)
      .where("status", "=", "sending")
      .where("leaseOwner", "=", this.owner)
      .where("leaseUntil", ">", now)
      .where((eb) =>
        eb.or([
          eb("broadcastId", "is", null),
          eb.not(
            eb.exists(
              eb
                .selectFrom("Broadcast as b")
                .select("b.id")
                .whereRef("b.id", "=", "Delivery.broadcastId")
                .where("b.status", "=", "cancelled"),
            ),
          ),
        ]),
      )
      .executeTakeFirst();
    if (result.numUpdatedRows === 1n) return "go";
    const row = await k
      .selectFrom("Delivery as d")
      .leftJoin("Broadcast as b", "b.id", "d.broadcastId")
      .select(["d.status", "d.leaseOwner", "b.status as broadcastStatus"])
      .where("d.id", "=", id)
      .executeTakeFirst();
    if (row?.status === "sending" && row.leaseOwner === this.owner && row.broadcastStatus === "cancelled") {
      await this.finish(id, "cancelled", "the broadcast was cancelled", now);
      return "cancelled";
    }
    return row?.status === "cancelled" ? "cancelled" : "lost";
  }

  /** Extends the leases of everything this instance has claimed and not finished. */
  async renewLeases(now: number, leaseMs: number): Promise<number> {
    const result = await this.db.k
      .updateTable("Delivery")
      .set({ leaseUntil: now + leaseMs })
      .where("status", "=", "sending")
      .where("leaseOwner", "=", this.owner)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Marks a claimed delivery sent (and writes reminders and broadcasts into the transcript). */
  async markSent(id: string, now: number): Promise<boolean> {
    return this.db.k.transaction().execute(async (tx) => {
      const done = await tx
        .updateTable("Delivery")
        .set({ status: "sent", sentAt: now, updatedAt: now, lastError: null, leaseOwner: null, leaseUntil: null })
        .where("id", "=", id)
        .where("status", "=", "sending")
        .returning(["residentId", "text", "kind"])
        .executeTakeFirst();
      if (!done) return false;
      if (TRANSCRIPT_AT_SEND.has(done.kind as ProactiveKind)) {
        const conversation = await tx
          .selectFrom("Conversation")
          .select("id")
          .where("residentId", "=", done.residentId)
          .executeTakeFirst();
        if (conversation) {
          await tx
            .insertInto("Message")
            .values({
              conversationId: conversation.id,
              residentId: done.residentId,
              direction: "out",
              author: "bot",
              text: done.text,
              intent: done.kind,
              createdAt: now,
            })
            .execute();
        }
      }
      return true;
    });
  }

  /** Puts a claimed delivery back in the queue for another attempt at `notBefore`; `counted: false` gives the attempt back. */
  async retryLater(id: string, notBefore: number, error: string, now: number, counted = true): Promise<void> {
    await this.db.k
      .updateTable("Delivery")
      .set({
        status: "pending",
        notBefore,
        lastError: error.slice(0, 500),
        attempts: sql`attempts - ${counted ? 0 : 1}`,
        updatedAt: now,
        leaseOwner: null,
        leaseUntil: null,
        handedAt: null,
      })
      .where("id", "=", id)
      .where("status", "=", "sending")
      .execute();
  }

  /** failed / cancelled (must not go out any more) / unknown (may or may not have arrived: staff decide). */
  async finish(id: string, status: "failed" | "cancelled" | "unknown", error: string, now: number): Promise<void> {
    await this.db.k
      .updateTable("Delivery")
      .set({ status, lastError: error.slice(0, 500), updatedAt: now, leaseOwner: null, leaseUntil: null })
      .where("id", "=", id)
      .where("status", "=", "sending")
      .execute();
  }

  /** Returns a claimed delivery that was never handed over (shutting down) to the queue. */
  async releaseUnsent(id: string, now: number): Promise<void> {
    await this.db.k
      .updateTable("Delivery")
      .set({ status: "pending", attempts: sql`attempts - 1`, updatedAt: now, leaseOwner: null, leaseUntil: null })
      .where("id", "=", id)
      .where("status", "=", "sending")
      .where("leaseOwner", "=", this.owner)
      .where("handedAt", "is", null)
      .execute();
  }

  /**
   * Takes over claims whose lease ran out (their instance died or stalled). Never handed over:
   * back to the queue, whatever the channel. Handed over: resent on idempotent channels (the
   * receiver de-duplicates on the id), 'unknown' on the others. Rows claimed before leases
   * existed count as handed over.
   */
  async recoverExpired(
    isIdempotent: (channel: ChannelId) => boolean,
    now: number,
  ): Promise<{ requeued: number; unknown: number }> {
    const k = this.db.k;
    const expired = (eb: ExpressionBuilder<DB, "Delivery">) =>
      eb.and([eb("status", "=", "sending"), eb.or([eb("leaseUntil", "is", null), eb("leaseUntil", "<", now)])]);
    const channels = (await k.selectFrom("Delivery").select("channel").distinct().where(expired).execute()).map(
      (r) => r.channel as ChannelId,
    );
    let requeued = 0;
    let unknown = 0;
    for (const channel of channels) {
      const neverHanded = await k
        .updateTable("Delivery")
        .set({ status: "pending", attempts: sql`attempts - 1`, updatedAt: now, leaseOwner: null, leaseUntil: null })
        .where(expired)
        .where("channel", "=", channel)
        .where("handedAt", "is", null)
        .where("leaseOwner", "is not", null)
        .executeTakeFirst();
      requeued += Number(neverHanded.numUpdatedRows);
      const handed = k
        .updateTable("Delivery")
        .where(expired)
        .where("channel", "=", channel)
        .where((eb) => eb.or([eb("handedAt", "is not", null), eb("leaseOwner", "is", null)]));
      if (isIdempotent(channel)) {
        const r = await handed
          .set({ status: "pending", updatedAt: now, leaseOwner: null, leaseUntil: null, handedAt: null })
          .executeTakeFirst();
        requeued += Number(r.numUpdatedRows);
      } else {
        const r = await handed
          .set({
            status: "unknown",
            lastError: "interrupted while sending (an instance stopped): it may or may not have arrived, so it is not sent again",
            updatedAt: now,
            leaseOwner: null,
            leaseUntil: null,
          })
          .executeTakeFirst();
        unknown += Number(r.numUpdatedRows);
      }
    }
    return { requeued, unknown };
  }

  /** Deliveries in the given statuses, most recently changed first (for staff: failed and unknown ones). */
  async list(statuses: readonly DeliveryStatus[], limit: number): Promise<DeliveryListItem[]> {
    const rows = await this.db.k
      .selectFrom("Delivery as d")
      .leftJoin("Conversation as c", "c.residentId", "d.residentId")
      .select([
        "d.id",
        "d.kind",
        "d.channel",
        "d.status",
        "d.text",
        "d.attempts",
        "d.lastError",
        "d.broadcastId",
        "c.id as conversationId",
        "d.createdAt",
        "d.updatedAt",
      ])
      .where("d.status", "in", [...statuses])
      .orderBy("d.updatedAt", "desc")
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      ...r,
      kind: r.kind as ProactiveKind,
      channel: r.channel as ChannelId,
      status: r.status as DeliveryStatus,
    }));
  }

  /** Staff decided a failed or unknown delivery should go (again): back in the queue with fresh attempts. */
  async requeue(id: string, now: number, audit?: AuditEntry): Promise<boolean> {
    return this.db.k.transaction().execute(async (tx) => {
      const r = await tx
        .updateTable("Delivery")
        .set({ status: "pending", attempts: 0, notBefore: now, lastError: null, updatedAt: now, handedAt: null })
        .where("id", "=", id)
        .where("status", "in", ["failed", "unknown"])
        .executeTakeFirst();
      if (r.numUpdatedRows !== 1n) return false;
      if (audit) await this.audit.record(audit, now, tx);
      return true;
    });
  }

  /** Proactive messages sent (or possibly sent) on a channel since `since`: today's share of a daily cap. */
  async countSentSince(channel: ChannelId, since: number): Promise<number> {
    const row = await this.db.k
      .selectFrom("Delivery")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("channel", "=", channel)
      .where("status", "in", ["sent", "sending", "unknown"])
      .where("updatedAt", ">=", since)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Pending and failed deliveries per channel, for /metrics. */
  async backlog(): Promise<{ channel: string; status: string; n: number }[]> {
    const rows = await this.db.k
      .selectFrom("Delivery")
      .select((eb) => ["channel", "status", eb.fn.countAll<number>().as("n")])
      .where("status", "in", ["pending", "sending", "failed", "unknown"])
      .groupBy(["channel", "status"])
      .execute();
    return rows.map((r) => ({ channel: r.channel, status: r.status, n: Number(r.n) }));
  }
}
