import type Database from "better-sqlite3";
import type { ChannelId } from "../dialog/types.ts";
import { type ReminderStage, reminderStages } from "../reminders/calendar.ts";
import { enqueueDelivery, orderedId } from "./outbox.ts";

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

/**
 * The scan's statements. The cycle of a reminder is the permit's endorseBy, so the unique
 * (permitId, cycle, stage) key on "Reminder" and the delivery's dedupe key
 * reminder:<permitId>:<cycle>:<stage> make each decision happen at most once, however many scans
 * run at the same time or again after a crash.
 */
export class ReminderStore {
  private readonly candidates: Database.Statement;
  private readonly optedOut: Database.Statement;
  private readonly insertReminder: Database.Statement;
  private readonly decideTx: Database.Transaction<(decisions: readonly ReminderDecision[], now: number) => number>;

  constructor(private readonly sql: Database.Database) {
    // One endorseBy date at a time: all its permits are at the same stage, the equality look-up
    // uses the endorseBy index, and the (permitId, cycle, stage) unique index answers NOT EXISTS.
    // Permits with nobody to tell are left out. The permit's channel is its resident's (both are
    // set together), so the resident row is not read here: opted-out residents are filtered with
    // optedOutResidents(), one pass per scan, which halves the reading on a large import.
    this.candidates = sql.prepare(`
      SELECT p.id AS permitId, p.permitNumber, p.holderName, p.endorseBy, p.residentId, p.channel
      FROM "Permit" p
      WHERE p.endorseBy = ? AND p.id > ? AND p.residentId IS NOT NULL AND p.channel IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM "Reminder" m WHERE m.permitId = p.id AND m.cycle = p.endorseBy AND m.stage = ?)
      ORDER BY p.id LIMIT ?`);
    this.optedOut = sql.prepare(`SELECT id FROM "Resident" WHERE remindersOptOut = 1`).pluck();
    this.insertReminder = sql.prepare(`
      INSERT INTO "Reminder" (id, permitId, cycle, stage, deliveryId, createdAt) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT(permitId, cycle, stage) DO NOTHING`);
    this.decideTx = sql.transaction((decisions: readonly ReminderDecision[], now: number) => {
      let queued = 0;
      for (const d of decisions) {
        const c = d.candidate;
        const deliveryId = orderedId();
        // The decision and its delivery are written together; a concurrent scan that got here
        // first makes this insert a no-op and nothing is queued twice.
        const taken = this.insertReminder.run(orderedId(), c.permitId, c.endorseBy, d.stage, deliveryId, now);
        if (taken.changes !== 1) continue;
        const id = enqueueDelivery(
          this.sql,
          {
            id: deliveryId,
            residentId: c.residentId,
            channel: c.channel,
            kind: "reminder",
            text: d.text,
            dedupeKey: `reminder:${c.permitId}:${c.endorseBy}:${d.stage}`,
          },
          now,
        );
        if (id) queued++;
      }
      return queued;
    });
  }

  /** Residents who replied 退订提醒 (usually few): they get no reminders. */
  optedOutResidents(): Set<string> {
    return new Set(this.optedOut.all() as string[]);
  }

  /** Permits due on `endorseBy` still lacking a decision for `stage`, after `afterId`, in id order. */
  candidatesFor(endorseBy: string, stage: ReminderStage, afterId: string, limit: number): ReminderCandidate[] {
    return this.candidates.all(endorseBy, afterId, stage, limit) as ReminderCandidate[];
  }

  /** Records decisions and their deliveries in one immediate transaction; returns how many were queued. */
  decide(decisions: readonly ReminderDecision[], now: number): number {
    if (!decisions.length) return 0;
    return this.decideTx.immediate(decisions, now);
  }
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

const stageOrder = `CASE m.stage WHEN 'd30' THEN 0 WHEN 'd7' THEN 1 WHEN 'd1' THEN 2 ELSE 3 END`;

/**
 * Reminders, newest cycle and latest stage first, optionally for one permit number. A stage
 * earlier than one that was decided in the same cycle, with no row of its own, was passed over
 * by the catch-up rule: it is listed as "skipped" (it can never be sent later).
 */
export function listReminders(
  sql: Database.Database,
  filter: { permitNumber?: string | undefined; limit: number },
): ReminderListItem[] {
  const where = filter.permitNumber ? `WHERE p.permitNumber = ?` : "";
  const rows = sql
    .prepare(`
      SELECT m.id, m.permitId, p.permitNumber, p.holderName, p.endorseBy, m.cycle, m.stage, d.status, d.channel, d.attempts,
             d.lastError, m.createdAt, d.sentAt
      FROM "Reminder" m JOIN "Permit" p ON p.id = m.permitId LEFT JOIN "Delivery" d ON d.id = m.deliveryId
      ${where}
      ORDER BY m.cycle DESC, m.permitId, ${stageOrder} DESC LIMIT ?`)
    .all(...(filter.permitNumber ? [filter.permitNumber] : []), filter.limit) as Record<string, unknown>[];
  // Group by (permit, cycle), keeping the query's order.
  const groups = new Map<string, Map<string, ReminderListItem>>();
  for (const r of rows) {
    const key = `${r.permitId}\u0000${r.cycle}`;
    let group = groups.get(key);
    if (!group) {
      group = new Map();
      groups.set(key, group);
    }
    group.set(r.stage as string, {
      id: r.id as string,
      permitNumber: r.permitNumber as string,
      holderName: r.holderName as string,
      endorseBy: r.endorseBy as string,
      cycle: r.cycle as string,
      stage: r.stage as string,
      status: (r.status as string | null) ?? "skipped",
      channel: (r.channel as string | null) ?? null,
      attempts: Number(r.attempts ?? 0),
      lastError: (r.lastError as string | null) ?? null,
      createdAt: Number(r.createdAt),
      sentAt: r.sentAt == null ? null : Number(r.sentAt),
    });
  }
  const items: ReminderListItem[] = [];
  for (const group of groups.values()) {
    const latest = Math.max(...[...group.keys()].map((s) => reminderStages.indexOf(s as ReminderStage)));
    const anchor = group.get(reminderStages[latest] as string) as ReminderListItem;
    for (let i = latest; i >= 0; i--) {
      const stage = reminderStages[i] as ReminderStage;
      items.push(group.get(stage) ?? skippedItem(anchor, stage));
    }
  }
  return items.slice(0, filter.limit);
}

function skippedItem(from: ReminderListItem, stage: ReminderStage): ReminderListItem {
  return {
    ...from,
    id: `${from.id}:${stage}`,
    stage,
    status: "skipped",
    channel: null,
    attempts: 0,
    lastError: null,
    sentAt: null,
  };
}
