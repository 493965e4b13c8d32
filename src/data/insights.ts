import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { redactPersonalData } from "../lib/text.ts";
import type { Database, Executor } from "./db.ts";
import { localDayIndex } from "./dashboard.ts";
import { ConflictError } from "./errors.ts";

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
  handledHow: string | null;
  handledEntryId: string | null;
  handledBy: string | null;
  handledAt: number | null;
}

/** How staff handled an unanswered question: made it an example of an entry, started a draft, or dismissed it. */
export type UnansweredHandling = "example" | "draft" | "dismissed";

const UNANSWERED_COLUMNS = [
  "id",
  "sample",
  "normalized",
  "count",
  "firstAskedAt",
  "lastAskedAt",
  "handledHow",
  "handledEntryId",
  "handledBy",
  "handledAt",
] as const;

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
    // A question staff made an example of, asked again and still not answered: open again (the
    // example did not help). A dismissed one or one with a draft under way stays handled.
    const reopen = <T>(column: string) =>
      sql<T>`CASE WHEN "UnansweredQuestion"."handledHow" = 'example' THEN NULL ELSE ${sql.ref(`UnansweredQuestion.${column}`)} END`;
    const row = await tx
      .insertInto("UnansweredQuestion")
      .values({ id: randomUUID(), normalized: key, sample, count: 1, firstAskedAt: now, lastAskedAt: now })
      .onConflict((oc) =>
        oc.column("normalized").doUpdateSet((eb) => ({
          count: sql`"UnansweredQuestion"."count" + 1`,
          lastAskedAt: eb.ref("excluded.lastAskedAt"),
          sample: eb.ref("excluded.sample"),
          handledEntryId: reopen<string | null>("handledEntryId"),
          handledBy: reopen<string | null>("handledBy"),
          handledAt: reopen<number | null>("handledAt"),
          // Every CASE reads the row as it was before this UPDATE (SQL's rule), whatever the order.
          handledHow: reopen<string | null>("handledHow"),
        })),
      )
      .returning("id")
      .executeTakeFirstOrThrow();
    // One row per ask: the trend per day (the count above is the total).
    await tx.insertInto("UnansweredAsk").values({ questionId: row.id, askedAt: now }).execute();
  }

  /** Stores one resident's 有用/没用 on one catalogue entry. */
  async recordFeedback(tx: Executor, residentId: string, entryId: string, helpful: boolean, now: number): Promise<void> {
    await tx.insertInto("AnswerFeedback").values({ id: randomUUID(), entryId, residentId, helpful, createdAt: now }).execute();
  }

  /** Open questions, the most asked first; or handled ones, the latest handled first. */
  async listUnanswered(limit = 50, status: "open" | "handled" = "open"): Promise<UnansweredRow[]> {
    const q = this.db.k.selectFrom("UnansweredQuestion").select(UNANSWERED_COLUMNS);
    const ordered =
      status === "open"
        ? q.where("handledAt", "is", null).orderBy("count", "desc").orderBy("lastAskedAt", "desc")
        : q.where("handledAt", "is not", null).orderBy("handledAt", "desc");
    return ordered.orderBy("id").limit(limit).execute();
  }

  async unanswered(id: string): Promise<UnansweredRow | null> {
    const row = await this.db.k
      .selectFrom("UnansweredQuestion")
      .select(UNANSWERED_COLUMNS)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ?? null;
  }

  /**
   * How often each question was asked on each local day (`bounds`: the days' midnights, one
   * more than the days): one grouped query for all of them.
   */
  async unansweredTrends(ids: readonly string[], bounds: readonly number[]): Promise<Map<string, number[]>> {
    const days = bounds.length - 1;
    const out = new Map(ids.map((id) => [id, new Array<number>(days).fill(0)]));
    if (!ids.length || days < 1) return out;
    const day = localDayIndex("askedAt", bounds);
    const rows = await this.db.k
      .selectFrom("UnansweredAsk")
      .select((eb) => ["questionId", day.as("day"), eb.fn.countAll<number>().as("n")])
      .where("questionId", "in", ids)
      .where("askedAt", ">=", bounds[0]!)
      .where("askedAt", "<", bounds[days]!)
      .groupBy(["questionId", day])
      .execute();
    for (const r of rows) {
      const series = out.get(r.questionId);
      if (series) series[Number(r.day)] = Number(r.n);
    }
    return out;
  }

  /** Marks a question handled (or, with `how` null, open again). */
  async handleUnanswered(
    tx: Executor,
    id: string,
    handling: { how: UnansweredHandling | null; entryId?: string | null | undefined; by?: string | null | undefined },
    now: number,
  ): Promise<void> {
    const result = await tx
      .updateTable("UnansweredQuestion")
      .set(
        handling.how
          ? { handledHow: handling.how, handledEntryId: handling.entryId ?? null, handledBy: handling.by ?? null, handledAt: now }
          : { handledHow: null, handledEntryId: null, handledBy: null, handledAt: null },
      )
      .where("id", "=", id)
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n) throw new ConflictError("unanswered question");
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
