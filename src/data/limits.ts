import { sql } from "kysely";
import type { Database } from "./db.ts";

/** key starts with prefix, exactly on both databases (LIKE has wildcards, and range bounds depend on the collation). */
const startsWith = (prefix: string) => sql<boolean>`substr("key", 1, ${[...prefix].length}) = ${prefix}`;

export interface CounterValue {
  count: number;
  /** When the counter is forgotten (epoch ms). */
  resetAt: number;
  /** The last hit (epoch ms). */
  updatedAt: number;
}

/**
 * Counters and open streams every instance shares, so a limit holds whichever instance a
 * request reaches: request limits per window, failed sign-ins, and open web-chat event streams.
 */
export class LimitRepo {
  constructor(private readonly db: Database) {}

  /**
   * Counts one hit on `key` and returns the count. A counter past its resetAt starts again at 1.
   * `window`: resetAt is set when the counter starts (a fixed window, as @fastify/rate-limit
   * counts); `extend`: every hit moves resetAt to now + ttlMs (failures are forgotten only after
   * a quiet spell). One statement: two instances counting at once both count.
   */
  async hit(key: string, now: number, ttlMs: number, mode: "window" | "extend" = "window"): Promise<CounterValue> {
    const resetAt = now + ttlMs;
    const row = await this.db.k
      .insertInto("RateCounter")
      .values({ key, count: 1, resetAt, updatedAt: now })
      .onConflict((oc) =>
        oc.column("key").doUpdateSet({
          count: sql`CASE WHEN "RateCounter"."resetAt" <= ${now} THEN 1 ELSE "RateCounter"."count" + 1 END`,
          resetAt:
            mode === "extend"
              ? sql`${resetAt}`
              : sql`CASE WHEN "RateCounter"."resetAt" <= ${now} THEN ${resetAt} ELSE "RateCounter"."resetAt" END`,
          updatedAt: now,
        }),
      )
      .returning(["count", "resetAt", "updatedAt"])
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), resetAt: Number(row.resetAt), updatedAt: Number(row.updatedAt) };
  }

  /** The live counters among `keys` (forgotten ones are left out). */
  async read(keys: readonly string[], now: number): Promise<Map<string, CounterValue>> {
    if (!keys.length) return new Map();
    const rows = await this.db.k
      .selectFrom("RateCounter")
      .select(["key", "count", "resetAt", "updatedAt"])
      .where("key", "in", keys)
      .where("resetAt", ">", now)
      .execute();
    return new Map(
      rows.map((r) => [r.key, { count: Number(r.count), resetAt: Number(r.resetAt), updatedAt: Number(r.updatedAt) }]),
    );
  }

  /** Live counters whose key starts with `prefix` (an admin's view of one account's sign-in failures). */
  async readPrefix(prefix: string, now: number): Promise<Array<CounterValue & { key: string }>> {
    const rows = await this.db.k
      .selectFrom("RateCounter")
      .select(["key", "count", "resetAt", "updatedAt"])
      .where(startsWith(prefix))
      .where("resetAt", ">", now)
      .execute();
    return rows.map((r) => ({ key: r.key, count: Number(r.count), resetAt: Number(r.resetAt), updatedAt: Number(r.updatedAt) }));
  }

  async clear(keys: readonly string[]): Promise<void> {
    if (keys.length) await this.db.k.deleteFrom("RateCounter").where("key", "in", keys).execute();
  }

  /** Deletes counters whose key starts with `prefix`. */
  async clearPrefix(prefix: string): Promise<void> {
    await this.db.k.deleteFrom("RateCounter").where(startsWith(prefix)).execute();
  }

  /** Forgets expired counters and streams (housekeeping; the limits ignore them anyway). */
  async prune(now: number): Promise<number> {
    const counters = await this.db.k.deleteFrom("RateCounter").where("resetAt", "<=", now).executeTakeFirst();
    const streams = await this.db.k.deleteFrom("EventStream").where("expiresAt", "<=", now).executeTakeFirst();
    return Number(counters.numDeletedRows) + Number(streams.numDeletedRows);
  }

  /**
   * Registers an open event stream unless the session or the address already holds its share:
   * the row goes in first and is counted with the others, so two instances opening streams at
   * the same moment can both be refused but never both let through past a limit.
   */
  async openStream(
    s: { id: string; sessionKey: string; address: string; owner: string },
    now: number,
    ttlMs: number,
    limits: { perSession: number; perAddress: number },
  ): Promise<"open" | "session_full" | "address_full"> {
    await this.db.k
      .insertInto("EventStream")
      .values({ ...s, expiresAt: now + ttlMs })
      .execute();
    const count = async (column: "sessionKey" | "address", value: string) =>
      Number(
        (
          await this.db.k
            .selectFrom("EventStream")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where(column, "=", value)
            .where("expiresAt", ">", now)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const verdict =
      (await count("sessionKey", s.sessionKey)) > limits.perSession
        ? "session_full"
        : (await count("address", s.address)) > limits.perAddress
          ? "address_full"
          : "open";
    if (verdict !== "open") await this.closeStream(s.id);
    return verdict;
  }

  async closeStream(id: string): Promise<void> {
    await this.db.k.deleteFrom("EventStream").where("id", "=", id).execute();
  }

  /** Keeps this instance's open streams counted for another ttlMs. */
  async renewStreams(owner: string, now: number, ttlMs: number): Promise<void> {
    await this.db.k
      .updateTable("EventStream")
      .set({ expiresAt: now + ttlMs })
      .where("owner", "=", owner)
      .execute();
  }
}
