import type { AuditEntry } from "../domain/audit.ts";
import type { AuditRepo } from "./audit.ts";
import type { Database } from "./db.ts";

/** A staff account as the auth layer sees it (never the password hash outside this module's callers). */
export interface StaffUserRow {
  id: string;
  username: string;
  displayName: string | null;
  passwordHash: string;
  role: string;
  disabled: boolean;
  mustChangePassword: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface StaffSessionRow {
  sessionId: string;
  csrfToken: string;
  expiresAt: number;
  userId: string;
  username: string;
  role: string;
  disabled: boolean;
  mustChangePassword: boolean;
}

export interface StaffUserPatch {
  role?: string;
  disabled?: boolean;
  passwordHash?: string;
  mustChangePassword?: boolean;
  displayName?: string | null;
}

const USER_COLUMNS = [
  "id",
  "username",
  "displayName",
  "passwordHash",
  "role",
  "disabled",
  "mustChangePassword",
  "createdAt",
  "updatedAt",
] as const;

/** Staff accounts and their sessions. */
export class StaffRepo {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditRepo,
  ) {}

  async count(): Promise<number> {
    const row = await this.db.k
      .selectFrom("StaffUser")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async findByName(username: string): Promise<StaffUserRow | null> {
    return (
      (await this.db.k.selectFrom("StaffUser").select(USER_COLUMNS).where("username", "=", username).executeTakeFirst()) ?? null
    );
  }

  async find(id: string): Promise<StaffUserRow | null> {
    return (await this.db.k.selectFrom("StaffUser").select(USER_COLUMNS).where("id", "=", id).executeTakeFirst()) ?? null;
  }

  async list(): Promise<StaffUserRow[]> {
    return this.db.k.selectFrom("StaffUser").select(USER_COLUMNS).orderBy("createdAt").orderBy("username").execute();
  }

  /** Creates an account (and its audit row, in the same transaction). */
  async create(
    u: {
      id: string;
      username: string;
      displayName: string | null;
      passwordHash: string;
      role: string;
      mustChangePassword?: boolean;
    },
    now: number,
    audit?: AuditEntry,
  ): Promise<void> {
    await this.db.k.transaction().execute(async (tx) => {
      await tx
        .insertInto("StaffUser")
        .values({
          id: u.id,
          username: u.username,
          displayName: u.displayName,
          passwordHash: u.passwordHash,
          role: u.role,
          disabled: false,
          mustChangePassword: u.mustChangePassword ?? false,
          createdAt: now,
          updatedAt: now,
        })
        .execute();
      if (audit) await this.audit.record(audit, now, tx);
    });
  }

  /**
   * Changes an account; `endSessions` signs it out everywhere (all sessions, or all but the
   * one named), and the audit row commits with the change.
   */
  async update(
    id: string,
    patch: StaffUserPatch,
    now: number,
    opts: { endSessions?: boolean; keepSession?: string | undefined; audit?: AuditEntry } = {},
  ): Promise<void> {
    const set: Record<string, unknown> = { updatedAt: now };
    for (const key of ["role", "disabled", "passwordHash", "mustChangePassword", "displayName"] as const) {
      if (patch[key] !== undefined) set[key] = patch[key];
    }
    await this.db.k.transaction().execute(async (tx) => {
      await tx.updateTable("StaffUser").set(set).where("id", "=", id).execute();
      if (opts.endSessions) {
        let del = tx.deleteFrom("StaffSession").where("staffUserId", "=", id);
        if (opts.keepSession) del = del.where("id", "<>", opts.keepSession);
        await del.execute();
      }
      if (opts.audit) await this.audit.record(opts.audit, now, tx);
    });
  }

  async createSession(s: { id: string; staffUserId: string; csrfToken: string; expiresAt: number }, now: number): Promise<void> {
    await this.db.k.transaction().execute(async (tx) => {
      await tx.deleteFrom("StaffSession").where("expiresAt", "<=", now).execute();
      await tx
        .insertInto("StaffSession")
        .values({ ...s, createdAt: now })
        .execute();
    });
  }

  /** The session (by sha256 of its token) with its user, or null. Expiry is checked by the caller. */
  async findSession(sessionId: string): Promise<StaffSessionRow | null> {
    const row = await this.db.k
      .selectFrom("StaffSession as s")
      .innerJoin("StaffUser as u", "u.id", "s.staffUserId")
      .select([
        "s.id as sessionId",
        "s.csrfToken",
        "s.expiresAt",
        "u.id as userId",
        "u.username",
        "u.role",
        "u.disabled",
        "u.mustChangePassword",
      ])
      .where("s.id", "=", sessionId)
      .executeTakeFirst();
    return row ?? null;
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.db.k.deleteFrom("StaffSession").where("id", "=", sessionId).execute();
  }
}
