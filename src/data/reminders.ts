import { type ReminderStage, reminderStages } from "../domain/calendar.ts";
import { orderedId } from "../domain/ids.ts";
import type { ChannelId } from "../domain/types.ts";
import type { Database } from "./db.ts";
import type { OutboxRepo } from "./outbox.ts";

/** A permit whose latest due stage has not been decided yet in its current cycle. */
export interface ReminderCandidate {
  permitId: string;
  permitNumber: string;
  holderName: string;
  endorseBy: string;
  residentId: string;
  channel: ChannelId;
}

export interface ReminderDecision {
  candidate: ReminderCandidate;
  stage: ReminderStage;
  text: string;
}

export interface ReminderListItem {
  id: string;
  permitNumber: string;
  holderName: string;
  endorseBy: string;
  cycle: string;
  stage: string;
  /** The delivery's status, or "skipped" for a stage passed over by the catch-up rule. */
  status: string;
  channel: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
}

/**
 * The reminder scan's decisions. The cycle of a reminder is the permit's endorseBy, so the unique
 * (permitId, cycle, stage) key on "Reminder" and the delivery's dedupe key
 * reminder:<permitId>:<cycle>:<stage> make each decision happen at most once, however many scans
 * run at the same time (several instances) or again after a crash.
 */
export class ReminderRepo {
  constructor(
    private readonly db: Database,
    private readonly outbox: OutboxRepo,
  ) {}

  /** Residents who replied 退订提醒 (usually few): they get no reminders. */
  async optedOutResidents(): Promise<Set<string>> {
    const rows = await this.db.k.selectFrom("Resident").select("id").where("remindersOptOut", "=", true).execute();
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Permits due on `endorseBy` still lacking a decision for `stage`, after `afterId`, in id order.
   * One date at a time: all its permits are at the same stage, the equality look-up uses the
   * endorseBy index, and the (permitId, cycle, stage) unique index answers NOT EXISTS. Permits
   * with nobody to tell are left out.
   */
  async candidatesFor(endorseBy: string, stage: ReminderStage, afterId: string, limit: number): Promise<ReminderCandidate[]> {
    const rows = await this.db.k
      .selectFrom("Permit as p")
      .select(["p.id as permitId", "p.permitNumber", "p.holderName", "p.endorseBy", "p.residentId", "p.channel"])
      .where("p.endorseBy", "=", endorseBy)
      .where("p.id", ">", afterId)
      .where("p.residentId", "is not", null)
      .where("p.channel", "is not", null)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("Reminder as m")
              .select("m.id")
              .whereRef("m.permitId", "=", "p.id")
              .whereRef("m.cycle", "=", "p.endorseBy")
              .where("m.stage", "=", stage),
          ),
        ),
      )
      .orderBy("p.id")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, residentId: r.residentId as string, channel: r.channel as ChannelId }));
  }

  /** Records decisions and their deliveries in one transaction; returns how many were queued. */
  async decide(decisions: readonly ReminderDecision[], now: number): Promise<number> {
    if (!decisions.length) return 0;
    return this.db.k.transaction().execute(async (tx) => {
      const rows = decisions.map((d) => ({
        id: orderedId(),
        permitId: d.candidate.permitId,
        cycle: d.candidate.endorseBy,
        stage: d.stage,
        deliveryId: orderedId(),
        createdAt: now,
      }));
      // One statement for the chunk; a concurrent scan that got here first makes its rows
      // no-ops, and only the rows this scan inserted get a delivery.
      const taken = new Set(
        (
          await tx
            .insertInto("Reminder")
            .values(rows)
            .onConflict((oc) => oc.columns(["permitId", "cycle", "stage"]).doNothing())
            .returning("id")
            .execute()
        ).map((r) => r.id),
      );
      const deliveries = decisions.flatMap((d, i) =>
        taken.has(rows[i]!.id)
          ? [
              {
                id: rows[i]!.deliveryId,
                residentId: d.candidate.residentId,
                channel: d.candidate.channel,
                kind: "reminder" as const,
                text: d.text,
                dedupeKey: `reminder:${d.candidate.permitId}:${d.candidate.endorseBy}:${d.stage}`,
              },
            ]
          : [],
      );
      const queued = await this.outbox.enqueueMany(tx, deliveries, now);
      return queued;
    });
  }

  /**
   * Reminders, newest cycle and latest stage first, optionally for one permit number. A stage
   * earlier than one that was decided in the same cycle, with no row of its own, was passed over
   * by the catch-up rule: it is listed as "skipped" (it can never be sent later).
   */
  async list(filter: { permitNumber?: string | undefined; limit: number }): Promise<ReminderListItem[]> {
    let query = this.db.k
      .selectFrom("Reminder as m")
      .innerJoin("Permit as p", "p.id", "m.permitId")
      .leftJoin("Delivery as d", "d.id", "m.deliveryId")
      .select((eb) => [
        "m.id",
        "m.permitId",
        "p.permitNumber",
        "p.holderName",
        "p.endorseBy",
        "m.cycle",
        "m.stage",
        "d.status",
        "d.channel",
        "d.attempts",
        "d.lastError",
        "m.createdAt",
        "d.sentAt",
        eb.case("m.stage").when("d30").then(0).when("d7").then(1).when("d1").then(2).else(3).end().as("stageOrder"),
      ]);
    if (filter.permitNumber) query = query.where("p.permitNumber", "=", filter.permitNumber);
    const rows = await query
      .orderBy("m.cycle", "desc")
      .orderBy("m.permitId")
      .orderBy("stageOrder", "desc")
      .limit(filter.limit)
      .execute();
    // Group by (permit, cycle), keeping the query's order.
    const groups = new Map<string, Map<string, ReminderListItem>>();
    for (const r of rows) {
      const key = `${r.permitId}\u0000${r.cycle}`;
      let group = groups.get(key);
      if (!group) {
        group = new Map();
        groups.set(key, group);
      }
      group.set(r.stage, {
        id: r.id,
        permitNumber: r.permitNumber,
        holderName: r.holderName,
        endorseBy: r.endorseBy,
        cycle: r.cycle,
        stage: r.stage,
        status: r.status ?? "skipped",
        channel: r.channel ?? null,
        attempts: Number(r.attempts ?? 0),
        lastError: r.lastError ?? null,
        createdAt: r.createdAt,
        sentAt: r.sentAt ?? null,
      });
    }
    const items: ReminderListItem[] = [];
    for (const group of groups.values()) {
      const latest = Math.max(...[...group.keys()].map((s) => reminderStages.indexOf(s as ReminderStage)));
      const anchor = group.get(reminderStages[latest] as string) as ReminderListItem;
      for (let i = latest; i >= 0; i--) {
        const stage = reminderStages[i] as ReminderStage;
        items.push(
          group.get(stage) ?? {
            ...anchor,
            id: `${anchor.id}:${stage}`,
            stage,
            status: "skipped",
            channel: null,
            attempts: 0,
            lastError: null,
            sentAt: null,
          },
        );
      }
    }
    return items.slice(0, filter.limit);
  }
}
