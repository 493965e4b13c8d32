import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { redactPersonalData } from "../lib/text.ts";
import type { Database, Executor } from "./db.ts";

/** Longest question text kept for staff; longer messages are cut (they are rarely questions). */
const MAX_SAMPLE = 300;

/** The key unanswered questions are counted under: the same question in other punctuation, case or width counts once. */
export function unansweredKey(normalized: string): string {
  return normalized.replace(/[\p{P}\p{S}\s]/gu, "").slice(0, MAX_SAMPLE);
}

export interface UnansweredRow {
  id: string;
  sample: string;
  normalized: string;
  count: number;
  firstAskedAt: number;
  lastAskedAt: number;
}

/** What residents ask and how the answers land: unanswered questions, feedback, dashboard counts. */
export class InsightRepo {
  constructor(private readonly db: Database) {}

  /**
   * Counts a question the assistant could not answer (out of scope or not understood), for staff
   * to improve the catalogue. ID and phone numbers are masked before anything is stored.
   */
  async recordUnanswered(tx: Executor, question: string, normalized: string, now: number): Promise<void> {
    const key = unansweredKey(redactPersonalData(normalized));
    if (!key) return;
    const sample = redactPersonalData(question).slice(0, MAX_SAMPLE);
    await tx
      .insertInto("UnansweredQuestion")
      .values({ id: randomUUID(), normalized: key, sample, count: 1, firstAskedAt: now, lastAskedAt: now })
      .onConflict((oc) =>
        oc.column("normalized").doUpdateSet((eb) => ({
          count: sql`"UnansweredQuestion"."count" + 1`,
          lastAskedAt: eb.ref("excluded.lastAskedAt"),
          sample: eb.ref("excluded.sample"),
        })),
      )
      .execute();
  }

  /** Stores one resident's 有用/没用 on one catalogue entry. */
  async recordFeedback(tx: Executor, residentId: string, entryId: string, helpful: boolean, now: number): Promise<void> {
    await tx.insertInto("AnswerFeedback").values({ id: randomUUID(), entryId, residentId, helpful, createdAt: now }).execute();
  }

  /** The most asked unanswered questions first. */
  async listUnanswered(limit = 50): Promise<UnansweredRow[]> {
    return this.db.k
      .selectFrom("UnansweredQuestion")
      .select(["id", "sample", "normalized", "count", "firstAskedAt", "lastAskedAt"])
      .orderBy("count", "desc")
      .orderBy("lastAskedAt", "desc")
      .limit(limit)
      .execute();
  }

  /** Helpful / unhelpful counts per entry, the most disliked first. */
  async feedbackByEntry(): Promise<{ entryId: string; helpful: number; unhelpful: number; lastAt: number }[]> {
    const rows = await this.db.k
      .selectFrom("AnswerFeedback")
      .select((eb) => [
        "entryId",
        eb.fn.sum<number>(eb.case().when("helpful", "=", true).then(1).else(0).end()).as("helpful"),
        eb.fn.sum<number>(eb.case().when("helpful", "=", true).then(0).else(1).end()).as("unhelpful"),
        eb.fn.max("createdAt").as("lastAt"),
      ])
      .groupBy("entryId")
      .orderBy("unhelpful", "desc")
      .orderBy("helpful", "desc")
      .orderBy("entryId")
      .execute();
    return rows.map((r) => ({
      entryId: r.entryId,
      helpful: Number(r.helpful),
      unhelpful: Number(r.unhelpful),
      lastAt: Number(r.lastAt),
    }));
  }

  /** Counts for the dashboard; `dayStart`/`monthStart` are local midnights as epoch ms. */
  async dashboard(now: number, dayStart: number, monthStart: number) {
    const k = this.db.k;
    const count = async (query: { executeTakeFirst(): Promise<{ n: number | string | null } | undefined> }) =>
      Number((await query.executeTakeFirst())?.n ?? 0);
    const inbound = k.selectFrom("Message").where("direction", "=", "in").where("createdAt", ">=", dayStart);
    const [
      conversationsToday,
      questionsToday,
      faqToday,
      waitRows,
      withStaff,
      pending,
      infoRequested,
      remindersSent,
      remindersFailed,
      byDistrict,
    ] = await Promise.all([
      count(inbound.select((eb) => eb.fn.count<number>("conversationId").distinct().as("n"))),
      count(inbound.select((eb) => eb.fn.countAll<number>().as("n"))),
      count(inbound.where("intent", "=", "faq").select((eb) => eb.fn.countAll<number>().as("n"))),
      k
        .selectFrom("Conversation")
        .select("escalatedAt")
        .where("status", "=", "escalated")
        .where("escalatedAt", "is not", null)
        .execute(),
      count(
        k
          .selectFrom("Conversation")
          .where("status", "=", "staff")
          .select((eb) => eb.fn.countAll<number>().as("n")),
      ),
      count(
        k
          .selectFrom("Application")
          .where("status", "=", "pending")
          .select((eb) => eb.fn.countAll<number>().as("n")),
      ),
      count(
        k
          .selectFrom("Application")
          .where("status", "=", "info_requested")
          .select((eb) => eb.fn.countAll<number>().as("n")),
      ),
      count(
        k
          .selectFrom("Delivery")
          .where("kind", "=", "reminder")
          .where("status", "=", "sent")
          .where("createdAt", ">=", monthStart)
          .select((eb) => eb.fn.countAll<number>().as("n")),
      ),
      count(
        k
          .selectFrom("Delivery")
          .where("kind", "=", "reminder")
          .where("status", "in", ["failed", "unknown"])
          .where("createdAt", ">=", monthStart)
          .select((eb) => eb.fn.countAll<number>().as("n")),
      ),
      k
        .selectFrom("Application")
        // A literal, not a parameter: PostgreSQL matches the GROUP BY expression by its text.
        .select((eb) => [sql<string>`coalesce("district", '')`.as("district"), eb.fn.countAll<number>().as("n")])
        .where("type", "=", "address_report")
        .where("createdAt", ">=", monthStart)
        .groupBy(sql`coalesce("district", '')`)
        .orderBy("n", "desc")
        .orderBy("district")
        .execute(),
    ]);
    const waits = waitRows.map((r) => now - Number(r.escalatedAt)).sort((a, b) => a - b);
    const median =
      waits.length === 0
        ? null
        : waits.length % 2
          ? (waits[(waits.length - 1) / 2] as number)
          : Math.round(((waits[waits.length / 2 - 1] as number) + (waits[waits.length / 2] as number)) / 2);
    return {
      conversationsToday,
      questionsToday,
      faqAnsweredToday: faqToday,
      escalationsWaiting: waits.length,
      medianWaitMs: median,
      withStaff,
      applicationsPending: pending,
      applicationsInfoRequested: infoRequested,
      remindersSentThisMonth: remindersSent,
      remindersFailedThisMonth: remindersFailed,
      registrationsThisMonthByDistrict: byDistrict.map((r) => ({ district: (r.district as string) || null, count: Number(r.n) })),
    };
  }
}
