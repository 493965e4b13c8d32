import { sql } from "kysely";
import type { Database } from "./db.ts";

/**
 * A local-day index (0 = the first day) of an epoch-ms column, from the local midnights
 * `bounds` (days + 1 of them; the caller keeps rows inside the first and the last). Literals,
 * not parameters: PostgreSQL matches a GROUP BY expression to the selected one by its text; and
 * boundaries rather than a fixed offset, because in a zone with daylight saving time the days
 * are not all 24 h long.
 */
export function localDayIndex(column: string, bounds: readonly number[]) {
  const inner = bounds.slice(1, -1);
  if (!inner.length) return sql<number>`0`;
  const whens = inner.map((b, i) => sql`WHEN ${sql.ref(column)} < ${sql.lit(b)} THEN ${sql.lit(i)}`);
  return sql<number>`(CASE ${sql.join(whens, sql` `)} ELSE ${sql.lit(inner.length)} END)`;
}

/** Intents of a resident's message that asked the catalogue something (answered or not). */
const CATALOGUE_QUESTIONS = ["faq", "clarify", "fallback", "out_of_scope", "other_city"];

const zeros = (n: number) => new Array<number>(n).fill(0);

/**
 * The dashboard's series per local day over a window, each from one grouped query over an
 * indexed time column (never a query per day). `bounds` are the days' local midnights, one more
 * than the days.
 */
export class DashboardRepo {
  constructor(private readonly db: Database) {}

  /**
   * Per day: conversations with a resident message, resident messages, catalogue questions
   * (answered, asked back, or not understood) and those answered from the catalogue.
   */
  async conversations(bounds: readonly number[]) {
    const days = bounds.length - 1;
    const day = localDayIndex("createdAt", bounds);
    const rows = await this.db.k
      .selectFrom("Message")
      .select((eb) => [
        day.as("day"),
        eb.fn.count<number>("conversationId").distinct().as("conversations"),
        eb.fn.countAll<number>().as("messages"),
        eb.fn.sum<number>(eb.case().when("intent", "in", CATALOGUE_QUESTIONS).then(1).else(0).end()).as("questions"),
        eb.fn.sum<number>(eb.case().when("intent", "=", "faq").then(1).else(0).end()).as("answered"),
      ])
      .where("direction", "=", "in")
      .where("createdAt", ">=", bounds[0]!)
      .where("createdAt", "<", bounds[days]!)
      .groupBy(day)
      .execute();
    const out = { conversations: zeros(days), messages: zeros(days), questions: zeros(days), answered: zeros(days) };
    for (const r of rows) {
      const d = Number(r.day);
      out.conversations[d] = Number(r.conversations);
      out.messages[d] = Number(r.messages);
      out.questions[d] = Number(r.questions ?? 0);
      out.answered[d] = Number(r.answered ?? 0);
    }
    return out;
  }

  /**
   * Per day: residents queued for staff, and the waits (ms) of those a person took, sorted —
   * the handoffs themselves, not the messages, so a median can be taken.
   */
  async handoffs(bounds: readonly number[]) {
    const days = bounds.length - 1;
    const day = localDayIndex("escalatedAt", bounds);
    const inWindow = this.db.k
      .selectFrom("Handoff")
      .where("escalatedAt", ">=", bounds[0]!)
      .where("escalatedAt", "<", bounds[days]!);
    const [counts, waits] = await Promise.all([
      inWindow
        .select((eb) => [day.as("day"), eb.fn.countAll<number>().as("n")])
        .groupBy(day)
        .execute(),
      inWindow
        .select([day.as("day"), sql<number>`"claimedAt" - "escalatedAt"`.as("wait")])
        .where("claimedAt", "is not", null)
        .orderBy("wait")
        .execute(),
    ]);
    const handoffs = zeros(days);
    for (const r of counts) handoffs[Number(r.day)] = Number(r.n);
    const waitsByDay: number[][] = Array.from({ length: days }, () => []);
    for (const r of waits) waitsByDay[Number(r.day)]!.push(Number(r.wait));
    return { handoffs, waitsByDay };
  }

  /** Applications submitted in the window: per day and type, and in all by status and by type. */
  async applications(bounds: readonly number[]) {
    const days = bounds.length - 1;
    const day = localDayIndex("createdAt", bounds);
    const inWindow = this.db.k
      .selectFrom("Application")
      .where("createdAt", ">=", bounds[0]!)
      .where("createdAt", "<", bounds[days]!);
    const [perDay, byStatus] = await Promise.all([
      inWindow
        .select((eb) => [day.as("day"), "type", eb.fn.countAll<number>().as("n")])
        .groupBy([day, "type"])
        .execute(),
      inWindow
        .select((eb) => ["status", eb.fn.countAll<number>().as("n")])
        .groupBy("status")
        .execute(),
    ]);
    return {
      perDay: perDay.map((r) => ({ day: Number(r.day), type: r.type, n: Number(r.n) })),
      byStatus: byStatus.map((r) => ({ status: r.status, n: Number(r.n) })),
    };
  }

  /** Reminders sent per day, and those that failed (or whose fate is unknown) per day. */
  async reminders(bounds: readonly number[]) {
    const days = bounds.length - 1;
    const sentDay = localDayIndex("sentAt", bounds);
    const failedDay = localDayIndex("updatedAt", bounds);
    const k = this.db.k;
    const [sentRows, failedRows] = await Promise.all([
      k
        .selectFrom("Delivery")
        .select((eb) => [sentDay.as("day"), eb.fn.countAll<number>().as("n")])
        .where("kind", "=", "reminder")
        .where("sentAt", ">=", bounds[0]!)
        .where("sentAt", "<", bounds[days]!)
        .where("status", "=", "sent")
        .groupBy(sentDay)
        .execute(),
      k
        .selectFrom("Delivery")
        .select((eb) => [failedDay.as("day"), eb.fn.countAll<number>().as("n")])
        .where("status", "in", ["failed", "unknown"])
        .where("kind", "=", "reminder")
        .where("updatedAt", ">=", bounds[0]!)
        .where("updatedAt", "<", bounds[days]!)
        .groupBy(failedDay)
        .execute(),
    ]);
    const sent = zeros(days);
    const failed = zeros(days);
    for (const r of sentRows) sent[Number(r.day)] = Number(r.n);
    for (const r of failedRows) failed[Number(r.day)] = Number(r.n);
    return { sent, failed };
  }

  /** The entries answers came from most often in the window (the first source of each catalogue answer). */
  async topEntries(from: number, to: number, limit: number): Promise<{ entryId: string; n: number }[]> {
    // The first source's id out of the stored JSON: the one place the two databases need different words.
    const first =
      this.db.dialect === "postgres"
        ? sql<string>`("sources"::jsonb -> 0 ->> 'id')`
        : sql<string>`json_extract("sources", '$[0].id')`;
    const rows = await this.db.k
      .selectFrom("Message")
      .select((eb) => [first.as("entryId"), eb.fn.countAll<number>().as("n")])
      .where("direction", "=", "out")
      .where("intent", "=", "faq")
      .where("sources", "is not", null)
      .where("createdAt", ">=", from)
      .where("createdAt", "<", to)
      .groupBy(first)
      .orderBy("n", "desc")
      .orderBy(first)
      .limit(limit)
      .execute();
    return rows.filter((r) => r.entryId).map((r) => ({ entryId: r.entryId, n: Number(r.n) }));
  }

  /** The unanswered questions asked most often in the window. */
  async topUnanswered(from: number, to: number, limit: number): Promise<{ id: string; sample: string; n: number }[]> {
    const rows = await this.db.k
      .selectFrom("UnansweredAsk as a")
      .innerJoin("UnansweredQuestion as q", "q.id", "a.questionId")
      .select((eb) => ["q.id", "q.sample", eb.fn.countAll<number>().as("n")])
      .where("a.askedAt", ">=", from)
      .where("a.askedAt", "<", to)
      .groupBy(["q.id", "q.sample"])
      .orderBy("n", "desc")
      .orderBy("q.id")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, sample: r.sample, n: Number(r.n) }));
  }
}
