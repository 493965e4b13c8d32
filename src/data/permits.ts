import { randomUUID } from "node:crypto";
import { z } from "zod";
import { addYear, daysBetween, isIsoDate, localDate } from "../domain/calendar.ts";
import { channelIds } from "../domain/types.ts";
import type { AuditEntry } from "../domain/audit.ts";
import type { AuditRepo } from "./audit.ts";
import type { Database, Executor } from "./db.ts";

/** One permit as the permit office exports it (POST /api/v1/staff/permits, the CSV import). */
export const permitRowSchema = z.object({
  channel: z.enum(channelIds, { error: `channel must be one of ${channelIds.join(", ")}` }),
  userId: z
    .string({ error: "userId is required" })
    .trim()
    .min(1, { error: "userId is required" })
    .max(128, { error: "userId must be at most 128 characters" }),
  permitNumber: z
    .string({ error: "permitNumber is required" })
    .trim()
    .min(4, { error: "permitNumber must be 4 to 40 characters" })
    .max(40, { error: "permitNumber must be 4 to 40 characters" })
    .regex(/^[0-9A-Za-z-]+$/, { error: "permitNumber may only contain letters, digits and '-'" }),
  holderName: z
    .string({ error: "holderName is required" })
    .trim()
    .min(1, { error: "holderName is required" })
    .max(50, { error: "holderName must be at most 50 characters" }),
  endorseBy: z
    .string({ error: "endorseBy is required" })
    .trim()
    .refine(isIsoDate, { error: "endorseBy must be a real date written YYYY-MM-DD" }),
});
export type PermitRow = z.infer<typeof permitRowSchema>;

export interface RowRejection {
  index: number;
  errors: string[];
}

/**
 * Validates rows one by one: good rows are kept, each bad row is reported with its reasons. A
 * permit number given twice in one upload is ambiguous (which holder, which date?): every row
 * carrying it is refused and reported, none applied.
 */
export function validatePermitRows(rows: readonly unknown[], indexOffset = 0): { valid: PermitRow[]; rejected: RowRejection[] } {
  const parsed = rows.map((row) => permitRowSchema.safeParse(row));
  const seen = new Map<string, number[]>();
  parsed.forEach((p, i) => {
    if (p.success) seen.set(p.data.permitNumber, [...(seen.get(p.data.permitNumber) ?? []), i + indexOffset]);
  });
  const valid: PermitRow[] = [];
  const rejected: RowRejection[] = [];
  parsed.forEach((p, i) => {
    if (p.success) {
      const same = seen.get(p.data.permitNumber) ?? [];
      if (same.length > 1) {
        rejected.push({
          index: i + indexOffset,
          errors: [
            `permitNumber ${p.data.permitNumber} appears ${same.length} times (rows ${same.join(", ")}): none of them was imported`,
          ],
        });
      } else valid.push(p.data);
      return;
    }
    rejected.push({
      index: i + indexOffset,
      errors: p.error.issues.map((issue) => {
        const field = issue.path.join(".");
        const message = issue.code === "invalid_type" && issue.path.length === 0 ? "row must be an object" : issue.message;
        return field && !message.startsWith(field) ? `${field}: ${message}` : message;
      }),
    });
  });
  return { valid, rejected };
}

/** The parts of an application an approved endorsement reads. */
export interface EndorsementApplication {
  residentId: string;
  idNumberHash?: string | null;
  data?: Record<string, unknown> | null;
}

export interface PermitMatch {
  id: string;
  permitNumber: string;
  endorseBy: string;
  residentId: string | null;
  idNumberHash: string | null;
}

export interface ChatPermitInput {
  residentId: string;
  channel: string;
  userId: string;
  /** Exactly one of permitNumber / idNumberHash identifies the permit. */
  permitNumber?: string | undefined;
  idNumberHash?: string | undefined;
  holderName: string;
  endorseBy: string;
}

export type ChatPermitResult = { outcome: "created" | "updated"; permitNumber: string } | { outcome: "taken" };

/** Rows per statement in a bulk upsert (9 values each: well inside both databases' parameter limits). */
const UPSERT_CHUNK = 500;

/** A permit due further out than this was already endorsed for this year: approving again changes nothing. */
const ALREADY_ENDORSED_DAYS = 60;

const MATCH = ["id", "permitNumber", "endorseBy", "residentId", "idNumberHash"] as const;

/** Residence permits that reminders are computed from. */
export class PermitRepo {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditRepo,
  ) {}

  /**
   * Upserts validated rows by permit number in one transaction (with its audit row); returns how
   * many were written. Set-based: a few statements per 500 rows whatever the database, so a large
   * import costs PostgreSQL round trips per chunk, not per row. Permit numbers must be unique
   * within one call (validatePermitRows reports repeats).
   */
  async upsert(rows: readonly PermitRow[], now: number, audit?: AuditEntry): Promise<number> {
    const numbers = new Set(rows.map((r) => r.permitNumber));
    if (numbers.size !== rows.length) throw new Error("permit numbers must be unique within one upsert");
    await this.db.k.transaction().execute(async (tx) => {
      if (audit) await this.audit.record(audit, now, tx);
      for (let i = 0; i < rows.length; i += UPSERT_CHUNK) await this.upsertChunk(tx, rows.slice(i, i + UPSERT_CHUNK), now);
    });
    return rows.length;
  }

  private async upsertChunk(tx: Executor, rows: readonly PermitRow[], now: number): Promise<void> {
    const people = [...new Map(rows.map((r) => [`${r.channel}\u0000${r.userId}`, r])).values()];
    await tx
      .insertInto("Resident")
      .values(
        people.map((r) => ({ id: randomUUID(), channel: r.channel, channelUserId: r.userId, createdAt: now, lastSeenAt: now })),
      )
      .onConflict((oc) => oc.columns(["channel", "channelUserId"]).doNothing())
      .execute();
    const residents = await tx
      .selectFrom("Resident")
      .select(["id", "channel", "channelUserId"])
      .where((eb) =>
        eb(
          eb.refTuple("channel", "channelUserId"),
          "in",
          people.map((r) => eb.tuple(r.channel, r.userId)),
        ),
      )
      .execute();
    const residentOf = new Map(residents.map((r) => [`${r.channel}\u0000${r.channelUserId}`, r.id]));
    await tx
      .insertInto("Conversation")
      .values(
        residents.map((r) => ({
          id: randomUUID(),
          residentId: r.id,
          status: "bot",
          state: "{}",
          version: 0,
          createdAt: now,
          updatedAt: now,
          lastMessageAt: now,
        })),
      )
      .onConflict((oc) => oc.column("residentId").doNothing())
      .execute();
    const before = await tx
      .selectFrom("Permit")
      .select(["id", "permitNumber", "endorseBy"])
      .where(
        "permitNumber",
        "in",
        rows.map((r) => r.permitNumber),
      )
      .execute();
    await tx
      .insertInto("Permit")
      .values(
        rows.map((row) => ({
          id: randomUUID(),
          permitNumber: row.permitNumber,
          holderName: row.holderName,
          channel: row.channel,
          channelUserId: row.userId,
          residentId: residentOf.get(`${row.channel}\u0000${row.userId}`) ?? null,
          endorseBy: row.endorseBy,
          createdAt: now,
          updatedAt: now,
        })),
      )
      .onConflict((oc) =>
        oc.column("permitNumber").doUpdateSet((eb) => ({
          holderName: eb.ref("excluded.holderName"),
          channel: eb.ref("excluded.channel"),
          channelUserId: eb.ref("excluded.channelUserId"),
          residentId: eb.ref("excluded.residentId"),
          endorseBy: eb.ref("excluded.endorseBy"),
          updatedAt: eb.ref("excluded.updatedAt"),
        })),
      )
      .execute();
    // A permit re-dated by the import: reminders still waiting for its old cycle are dropped.
    const endorseBy = new Map(rows.map((r) => [r.permitNumber, r.endorseBy]));
    for (const p of before) {
      const next = endorseBy.get(p.permitNumber);
      if (next && next !== p.endorseBy) await this.cancelStale(tx, p.id, next, now);
    }
  }

  /** A reminder still waiting (e.g. held by quiet hours) for a cycle that no longer applies. */
  private async cancelStale(tx: Executor, permitId: string, cycle: string, now: number): Promise<void> {
    await tx
      .updateTable("Delivery")
      .set({ status: "cancelled", updatedAt: now })
      .where("status", "=", "pending")
      .where("id", "in", (eb) =>
        eb
          .selectFrom("Reminder")
          .select("deliveryId")
          .where("permitId", "=", permitId)
          .where("cycle", "<>", cycle)
          .where("deliveryId", "is not", null)
          .$narrowType<{ deliveryId: string }>(),
      )
      .execute();
  }

  async findByNumber(permitNumber: string): Promise<(PermitMatch & { holderName: string; channelUserId: string | null }) | null> {
    const row = await this.db.k
      .selectFrom("Permit")
      .select([...MATCH, "holderName", "channelUserId"])
      .where("permitNumber", "=", permitNumber)
      .executeTakeFirst();
    return row ?? null;
  }

  /**
   * Moves the matching permit's endorseBy on one year when staff approve a permit_endorsement
   * application (inside the decision's transaction). Matched by ID-number hash, else by a
   * permitNumber in the application data, else the applicant's only permit. An on-time
   * endorsement keeps the anniversary; a late one counts a year from today (the permit
   * restarts). Returns what changed, or null when no permit matched.
   */
  async endorsementApproved(
    tx: Executor,
    application: EndorsementApplication,
    now: number,
    timeZone: string,
  ): Promise<{ permitId: string; permitNumber: string; previous: string; endorseBy: string } | null> {
    const data = application.data ?? {};
    let matches: PermitMatch[] = [];
    if (application.idNumberHash) {
      matches = await tx.selectFrom("Permit").select(MATCH).where("idNumberHash", "=", application.idNumberHash).execute();
    }
    const number = typeof data.permitNumber === "string" ? data.permitNumber.trim() : "";
    if (!matches.length && number) {
      matches = await tx.selectFrom("Permit").select(MATCH).where("permitNumber", "=", number).execute();
    }
    if (!matches.length) {
      const own = await tx.selectFrom("Permit").select(MATCH).where("residentId", "=", application.residentId).limit(2).execute();
      if (own.length === 1) matches = own;
    }
    const permit = matches[0];
    if (!permit) return null;
    const today = localDate(now, timeZone);
    const daysLeft = daysBetween(today, permit.endorseBy);
    if (daysLeft > ALREADY_ENDORSED_DAYS) {
      return { permitId: permit.id, permitNumber: permit.permitNumber, previous: permit.endorseBy, endorseBy: permit.endorseBy };
    }
    const next = daysLeft >= 0 ? addYear(permit.endorseBy) : addYear(today);
    await tx
      .updateTable("Permit")
      .set((eb) => ({
        endorseBy: next,
        idNumberHash: eb.fn.coalesce("idNumberHash", eb.val(application.idNumberHash ?? null)),
        updatedAt: now,
      }))
      .where("id", "=", permit.id)
      .execute();
    await this.cancelStale(tx, permit.id, next, now);
    return { permitId: permit.id, permitNumber: permit.permitNumber, previous: permit.endorseBy, endorseBy: next };
  }

  /** The permit a resident names in chat, if it exists: whose it is, for the reply before saving. */
  async findForChat(input: { permitNumber?: string | undefined; idNumberHash?: string | undefined }, tx: Executor = this.db.k) {
    if (input.idNumberHash) {
      return (
        (await tx.selectFrom("Permit").select(MATCH).where("idNumberHash", "=", input.idNumberHash).executeTakeFirst()) ?? null
      );
    }
    if (input.permitNumber) {
      return (
        (await tx.selectFrom("Permit").select(MATCH).where("permitNumber", "=", input.permitNumber).executeTakeFirst()) ?? null
      );
    }
    return null;
  }

  /**
   * Registers (or re-dates) a permit from the chat. A permit already linked to another resident is
   * left alone: anyone could type a number, and its reminders would reveal the holder's name.
   */
  async registerFromChat(tx: Executor, input: ChatPermitInput, now: number): Promise<ChatPermitResult> {
    const existing = await this.findForChat(input, tx);
    if (existing) {
      if (existing.residentId !== input.residentId) return { outcome: "taken" };
      await tx
        .updateTable("Permit")
        .set({
          endorseBy: input.endorseBy,
          residentId: input.residentId,
          channel: input.channel,
          channelUserId: input.userId,
          updatedAt: now,
        })
        .where("id", "=", existing.id)
        .execute();
      if (existing.endorseBy !== input.endorseBy) await this.cancelStale(tx, existing.id, input.endorseBy, now);
      return { outcome: "updated", permitNumber: existing.permitNumber };
    }
    // Registered by ID number: the number itself is never stored, only its keyed hash.
    const permitNumber = input.permitNumber ?? `ID-${(input.idNumberHash ?? randomUUID()).slice(0, 20).toUpperCase()}`;
    await tx
      .insertInto("Permit")
      .values({
        id: randomUUID(),
        permitNumber,
        holderName: input.holderName,
        channel: input.channel,
        channelUserId: input.userId,
        residentId: input.residentId,
        idNumberHash: input.idNumberHash ?? null,
        endorseBy: input.endorseBy,
        createdAt: now,
        updatedAt: now,
      })
      .execute();
    return { outcome: "created", permitNumber };
  }

  /** How many permits a resident has registered for reminders. */
  async countForResident(residentId: string): Promise<number> {
    const row = await this.db.k
      .selectFrom("Permit")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("residentId", "=", residentId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
