import type { Database } from "./db.ts";

/** Values every instance must agree on, kept in the database they share. */
export class SettingRepo {
  constructor(private readonly db: Database) {}

  async get(key: string): Promise<string | null> {
    return (await this.db.k.selectFrom("Setting").select("value").where("key", "=", key).executeTakeFirst())?.value ?? null;
  }

  /** Stores `value` unless the key already has one; returns the value now stored. */
  async setIfAbsent(key: string, value: string, now: number): Promise<string> {
    await this.db.k
      .insertInto("Setting")
      .values({ key, value, updatedAt: now })
      .onConflict((oc) => oc.column("key").doNothing())
      .execute();
    return (await this.get(key)) ?? value;
  }
}
