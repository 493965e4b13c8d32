import type { Database } from "./db.ts";

/**
 * Named leases: at most one instance holds one at a time (the scheduler's leader). A holder
 * renews before expiry; when it dies, another takes over once the lease has run out. The same
 * statements on both databases (one conditional upsert), so SQLite with two processes on one
 * file behaves like PostgreSQL with several instances.
 */
export class LeaseRepo {
  constructor(private readonly db: Database) {}

  /** Takes or renews `name` for `owner` until now + ttlMs; true when `owner` holds it now. */
  async acquire(name: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    const row = await this.db.k
      .insertInto("Lease")
      .values({ name, owner, expiresAt: now + ttlMs, updatedAt: now })
      .onConflict((oc) =>
        oc
          .column("name")
          .doUpdateSet({ owner, expiresAt: now + ttlMs, updatedAt: now })
          .where((eb) => eb.or([eb("Lease.owner", "=", owner), eb("Lease.expiresAt", "<", now)])),
      )
      .returning("owner")
      .executeTakeFirst();
    return row?.owner === owner;
  }

  /** Gives the lease up at once (a clean shutdown), so another instance need not wait for expiry. */
  async release(name: string, owner: string): Promise<void> {
    await this.db.k.deleteFrom("Lease").where("name", "=", name).where("owner", "=", owner).execute();
  }

  async holder(name: string, now: number): Promise<string | null> {
    const row = await this.db.k
      .selectFrom("Lease")
      .select("owner")
      .where("name", "=", name)
      .where("expiresAt", ">=", now)
      .executeTakeFirst();
    return row?.owner ?? null;
  }
}
