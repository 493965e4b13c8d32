import { type ExpressionBuilder, sql } from "kysely";
import type { AuditEntry } from "../domain/audit.ts";
import { orderedId } from "../domain/ids.ts";
import type { ChannelId } from "../domain/types.ts";
import type { AuditRepo } from "./audit.ts";
import type { Database, DB } from "./db.ts";

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

type RawBroadcast = Omit<BroadcastRow, "audience" | "status"> & { audience: string; status: string };

function toRow(r: RawBroadcast): BroadcastRow {
  let audience: Audience = {};
  try {
    audience = JSON.parse(r.audience) as Audience;
  } catch {
    // an unreadable filter is shown as "everyone"
  }
  return { ...r, audience, status: r.status as BroadcastStatus };
}

/** Staff broadcasts and the queueing of their recipients. */
export class BroadcastRepo {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditRepo,
  ) {}

  /**
   * Who a broadcast reaches: residents who accept notices, optionally on one channel and in one
   * district, and only on channels that can deliver (a queued message for a channel that is
   * switched off would never finish). `reachable` narrows further (WeChat: friends only).
   */
  private audienceFilter(audience: Audience, channels: readonly ChannelId[]) {
    const allowed = audience.channel ? channels.filter((c) => c === audience.channel) : [...channels];
    return (eb: ExpressionBuilder<DB & { r: DB["Resident"] }, "r">) => {
      // `|| ''` keeps the planner off the channel and district indexes: the chunks walk the
      // primary key in order (r.id > ?), and an index on channel would mean sorting every
      // resident per chunk.
      const parts = [
        eb("r.acceptsNotices", "=", true),
        // A WeChat resident met only in a group, not a friend: the account cannot write to them.
        eb("r.reachable", "=", true),
        allowed.length ? eb(sql`(r.channel || '')`, "in", allowed) : eb.lit(false),
      ];
      if (audience.district) parts.push(eb(sql`(r.district || '')`, "=", audience.district));
      return eb.and(parts);
    };
  }

  async countAudience(audience: Audience, channels: readonly ChannelId[]): Promise<number> {
    const row = await this.db.k
      .selectFrom("Resident as r")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where(this.audienceFilter(audience, channels))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The broadcast row, with its audit row in the same transaction. */
  async create(
    input: { text: string; audience: Audience; recipients: number; createdBy: string | null },
    now: number,
    audit: (id: string) => AuditEntry,
  ): Promise<string> {
    const id = orderedId(now);
    await this.db.k.transaction().execute(async (tx) => {
      await tx
        .insertInto("Broadcast")
        .values({
          id,
          text: input.text,
          audience: JSON.stringify(input.audience),
          status: "queued",
          recipients: input.recipients,
          createdBy: input.createdBy,
          createdAt: now,
          updatedAt: now,
        })
        .execute();
      await this.audit.record(audit(id), now, tx);
    });
    return id;
  }

  /**
   * Queues the next chunk of a broadcast's recipients after resident id `after` with one
   * INSERT … SELECT (memory stays flat however large the audience). Delivery ids are
   * b:<broadcastId>:<residentId>: in resident order, so a million inserts append to the
   * primary-key index rather than landing on random pages. Idempotent thanks to the dedupe key
   * broadcast:<id>:<residentId>, so an interrupted broadcast can simply run again. Returns the
   * last resident id of the chunk (null when done or cancelled) and how many were queued.
   */
  async enqueueChunk(
    broadcast: { id: string; text: string; audience: Audience },
    channels: readonly ChannelId[],
    after: string,
    limit: number,
    now: number,
  ): Promise<{ last: string | null; queued: number }> {
    const filter = this.audienceFilter(broadcast.audience, channels);
    return this.db.k.transaction().execute(async (tx) => {
      const status = await tx.selectFrom("Broadcast").select("status").where("id", "=", broadcast.id).executeTakeFirst();
      if (status?.status !== "queued") return { last: null, queued: 0 };
      const bound = await tx
        .selectFrom((eb) =>
          eb
            .selectFrom("Resident as r")
            .select("r.id")
            .where(filter)
            .where("r.id", ">", after)
            .orderBy("r.id")
            .limit(limit)
            .as("chunk"),
        )
        .select((eb) => eb.fn.max("chunk.id").as("last"))
        .executeTakeFirst();
      const last = (bound?.last as string | null | undefined) ?? null;
      if (!last) return { last: null, queued: 0 };
      const text = (v: string) => sql<string>`cast(${v} as text)`;
      const inserted = await tx
        .insertInto("Delivery")
        .columns([
          "id",
          "dedupeKey",
          "residentId",
          "channel",
          "kind",
          "text",
          "status",
          "attempts",
          "notBefore",
          "broadcastId",
          "createdAt",
          "updatedAt",
        ])
        .expression((eb) =>
          eb
            .selectFrom("Resident as r")
            .select([
              sql<string>`${text(`b:${broadcast.id}:`)} || r.id`.as("id"),
              sql<string>`${text(`broadcast:${broadcast.id}:`)} || r.id`.as("dedupeKey"),
              "r.id as residentId",
              "r.channel",
              sql<string>`'broadcast'`.as("kind"),
              text(broadcast.text).as("text"),
              sql<string>`'pending'`.as("status"),
              sql<number>`0`.as("attempts"),
              sql<number>`cast(${now} as bigint)`.as("notBefore"),
              text(broadcast.id).as("broadcastId"),
              sql<number>`cast(${now} as bigint)`.as("createdAt"),
              sql<number>`cast(${now} as bigint)`.as("updatedAt"),
            ])
            .where(filter)
            .where("r.id", ">", after)
            .where("r.id", "<=", last),
        )
        .onConflict((oc) => oc.column("dedupeKey").doNothing())
        .executeTakeFirst();
      return { last, queued: Number(inserted.numInsertedOrUpdatedRows ?? 0n) };
    });
  }

  /** All recipients are queued: the broadcast is now being sent; recipients = deliveries actually queued. */
  async finishEnqueue(id: string, now: number): Promise<void> {
    await this.db.k
      .updateTable("Broadcast")
      .set((eb) => ({
        status: "sending",
        updatedAt: now,
        recipients: eb
          .selectFrom("Delivery as d")
          .select((e) => e.fn.countAll<number>().as("n"))
          .whereRef("d.broadcastId", "=", "Broadcast.id"),
      }))
      .where("id", "=", id)
      .where("status", "=", "queued")
      .execute();
  }

  async get(id: string): Promise<BroadcastRow | null> {
    const row = await this.db.k.selectFrom("Broadcast").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toRow(row) : null;
  }

  /** Broadcasts still being queued (e.g. interrupted by a restart). */
  async queued(): Promise<BroadcastRow[]> {
    return (
      await this.db.k.selectFrom("Broadcast").selectAll().where("status", "=", "queued").orderBy("createdAt").execute()
    ).map(toRow);
  }

  /** Cancelled broadcasts whose deliveries are not all marked yet (a restart interrupted the cancel). */
  async cancelledWithPending(): Promise<string[]> {
    const rows = await this.db.k
      .selectFrom("Broadcast as b")
      .select("b.id")
      .where("b.status", "=", "cancelled")
      .where((eb) =>
        eb.exists(
          eb.selectFrom("Delivery as d").select("d.id").whereRef("d.broadcastId", "=", "b.id").where("d.status", "=", "pending"),
        ),
      )
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * A broadcast with its delivery counts; a finished one is marked done. Once cancelled, what is
   * still waiting counts as cancelled (it will never be sent) even while the rows are being marked.
   */
  async progress(id: string, now: number): Promise<BroadcastProgress | null> {
    const row = await this.get(id);
    if (!row) return null;
    const counts = { sent: 0, failed: 0, pending: 0, cancelled: 0, unknown: 0 };
    const rows = await this.db.k
      .selectFrom("Delivery")
      .select((eb) => ["status", eb.fn.countAll<number>().as("n")])
      .where("broadcastId", "=", id)
      .groupBy("status")
      .execute();
    for (const { status, n } of rows) {
      if (status === "pending" && row.status === "cancelled") counts.cancelled += Number(n);
      else if (status === "pending" || status === "sending") counts.pending += Number(n);
      else if (status in counts) counts[status as keyof typeof counts] += Number(n);
    }
    if (row.status === "sending" && counts.pending === 0) {
      await this.db.k
        .updateTable("Broadcast")
        .set({ status: "done", updatedAt: now })
        .where("id", "=", id)
        .where("status", "=", "sending")
        .execute();
      row.status = "done";
    }
    return { ...row, ...counts };
  }

  async list(limit: number, now: number): Promise<BroadcastProgress[]> {
    const ids = await this.db.k.selectFrom("Broadcast").select("id").orderBy("createdAt", "desc").limit(limit).execute();
    const out: BroadcastProgress[] = [];
    for (const { id } of ids) {
      const p = await this.progress(id, now);
      if (p) out.push(p);
    }
    return out;
  }

  /** Marks the broadcast cancelled (stops queueing and sending at once); false when already finished or cancelled. */
  async markCancelled(id: string, now: number, audit: AuditEntry): Promise<boolean> {
    return this.db.k.transaction().execute(async (tx) => {
      const r = await tx
        .updateTable("Broadcast")
        .set({ status: "cancelled", updatedAt: now })
        .where("id", "=", id)
        .where("status", "in", ["queued", "sending"])
        .executeTakeFirst();
      if (r.numUpdatedRows !== 1n) return false;
      await this.audit.record(audit, now, tx);
      return true;
    });
  }

  /**
   * Cancels up to `limit` of the broadcast's deliveries not yet handed to the channel (pending,
   * or claimed by a dispatcher that has not sent them yet); returns how many.
   */
  async cancelChunk(id: string, limit: number, now: number): Promise<number> {
    const k = this.db.k;
    const r = await k
      .updateTable("Delivery")
      .set({ status: "cancelled", updatedAt: now, leaseOwner: null, leaseUntil: null })
      .where(
        "id",
        "in",
        k
          .selectFrom("Delivery")
          .select("id")
          .where("broadcastId", "=", id)
          .where((eb) =>
            eb.or([eb("status", "=", "pending"), eb.and([eb("status", "=", "sending"), eb("handedAt", "is", null)])]),
          )
          .limit(limit),
      )
      .where((eb) => eb.or([eb("status", "=", "pending"), eb.and([eb("status", "=", "sending"), eb("handedAt", "is", null)])]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
}
