import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { z } from "zod";
import { channelIds } from "../dialog/types.ts";
import { addYear, daysBetween, isIsoDate, localDate } from "../reminders/calendar.ts";

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

/** Validates rows one by one: good rows are kept, each bad row is reported with its reasons. */
export function validatePermitRows(rows: readonly unknown[], indexOffset = 0): { valid: PermitRow[]; rejected: RowRejection[] } {
  const valid: PermitRow[] = [];
  const rejected: RowRejection[] = [];
  rows.forEach((row, i) => {
    const parsed = permitRowSchema.safeParse(row);
    if (parsed.success) valid.push(parsed.data);
    else {
      rejected.push({
        index: i + indexOffset,
        errors: parsed.error.issues.map((issue) => {
          const field = issue.path.join(".");
          const message = issue.code === "invalid_type" && issue.path.length === 0 ? "row must be an object" : issue.message;
          return field && !message.startsWith(field) ? `${field}: ${message}` : message;
        }),
      });
    }
  });
  return { valid, rejected };
}

interface PermitStatements {
  insertResident: Database.Statement;
  insertConversation: Database.Statement;
  residentId: Database.Statement;
  permitByNumber: Database.Statement;
  upsert: Database.Statement;
  cancelStale: Database.Statement;
  permitsByHash: Database.Statement;
  permitsByResident: Database.Statement;
  moveEndorseBy: Database.Statement;
  insertChatPermit: Database.Statement;
  updateChatPermit: Database.Statement;
}
const cache = new WeakMap<Database.Database, PermitStatements>();

function statements(sql: Database.Database): PermitStatements {
  let s = cache.get(sql);
  if (s) return s;
  s = {
    insertResident: sql.prepare(`
      INSERT INTO "Resident" (id, channel, channelUserId, createdAt, lastSeenAt)
      VALUES (?, ?, ?, ?, ?) ON CONFLICT(channel, channelUserId) DO NOTHING`),
    insertConversation: sql.prepare(`
      INSERT INTO "Conversation" (id, residentId, status, state, version, createdAt, updatedAt, lastMessageAt)
      SELECT ?, r.id, 'bot', '{}', 0, ?, ?, ? FROM "Resident" r WHERE r.channel = ? AND r.channelUserId = ?
      ON CONFLICT(residentId) DO NOTHING`),
    residentId: sql.prepare(`SELECT id FROM "Resident" WHERE channel = ? AND channelUserId = ?`),
    permitByNumber: sql.prepare(`SELECT id, endorseBy, residentId, idNumberHash FROM "Permit" WHERE permitNumber = ?`),
    upsert: sql.prepare(`
      INSERT INTO "Permit" (id, permitNumber, holderName, channel, channelUserId, residentId, endorseBy, createdAt, updatedAt)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(permitNumber) DO UPDATE SET holderName = excluded.holderName, channel = excluded.channel,
        channelUserId = excluded.channelUserId, residentId = excluded.residentId, endorseBy = excluded.endorseBy,
        updatedAt = excluded.updatedAt`),
    // A reminder still waiting (e.g. held by quiet hours) for a cycle that no longer applies.
    cancelStale: sql.prepare(`
      UPDATE "Delivery" SET status = 'cancelled', updatedAt = ?
      WHERE status = 'pending' AND id IN (SELECT deliveryId FROM "Reminder" WHERE permitId = ? AND cycle <> ? AND deliveryId IS NOT NULL)`),
    permitsByHash: sql.prepare(
      `SELECT id, permitNumber, endorseBy, residentId, idNumberHash FROM "Permit" WHERE idNumberHash = ?`,
    ),
    permitsByResident: sql.prepare(
      `SELECT id, permitNumber, endorseBy, residentId, idNumberHash FROM "Permit" WHERE residentId = ? LIMIT 2`,
    ),
    moveEndorseBy: sql.prepare(
      `UPDATE "Permit" SET endorseBy = ?, idNumberHash = COALESCE(idNumberHash, ?), updatedAt = ? WHERE id = ?`,
    ),
    insertChatPermit: sql.prepare(`
      INSERT INTO "Permit" (id, permitNumber, holderName, channel, channelUserId, residentId, idNumberHash, endorseBy, createdAt, updatedAt)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    updateChatPermit: sql.prepare(
      `UPDATE "Permit" SET endorseBy = ?, residentId = ?, channel = ?, channelUserId = ?, updatedAt = ? WHERE id = ?`,
    ),
  };
  cache.set(sql, s);
  return s;
}

/**
 * The resident for (channel, userId), created with their conversation if they have never
 * written yet — a reminder can then be delivered, and their first message finds the same rows.
 */
export function ensureResident(sql: Database.Database, channel: string, userId: string, now: number): string {
  const s = statements(sql);
  const existing = s.residentId.get(channel, userId) as { id: string } | undefined;
  if (existing) return existing.id;
  s.insertResident.run(randomUUID(), channel, userId, now, now);
  s.insertConversation.run(randomUUID(), now, now, now, channel, userId);
  return (s.residentId.get(channel, userId) as { id: string }).id;
}

/** Upserts validated rows by permit number in one transaction; returns how many were written. */
export function upsertPermits(sql: Database.Database, rows: readonly PermitRow[], now: number): number {
  const s = statements(sql);
  const run = sql.transaction(() => {
    for (const row of rows) {
      const residentId = ensureResident(sql, row.channel, row.userId, now);
      const before = s.permitByNumber.get(row.permitNumber) as { id: string; endorseBy: string } | undefined;
      s.upsert.run(randomUUID(), row.permitNumber, row.holderName, row.channel, row.userId, residentId, row.endorseBy, now, now);
      if (before && before.endorseBy !== row.endorseBy) s.cancelStale.run(now, before.id, row.endorseBy);
    }
    return rows.length;
  });
  return run.immediate();
}

/** The parts of an application this module reads (Application row from the staff engineer's decision). */
export interface EndorsementApplication {
  id?: string;
  residentId: string;
  idNumberHash?: string | null;
  /** The application's slots, as stored (JSON text) or parsed. */
  data?: string | Record<string, unknown> | null;
}

interface PermitMatch {
  id: string;
  permitNumber: string;
  endorseBy: string;
  residentId: string | null;
  idNumberHash: string | null;
}

/** A permit due further out than this was already endorsed for this year: approving again changes nothing. */
const ALREADY_ENDORSED_DAYS = 60;

/**
 * Moves the matching permit's endorseBy on one year when staff approve a permit_endorsement
 * application. Call it inside the decision transaction on the same connection (ctx.db.sql).
 * Matched by ID-number hash, else by a permitNumber in the application data, else the
 * applicant's only permit. An on-time endorsement keeps the anniversary; a late one counts a
 * year from today (the permit restarts). Returns what changed, or null when no permit matched.
 */
export function onEndorsementApproved(
  sql: Database.Database,
  application: EndorsementApplication,
  now: number,
  timeZone: string = process.env.TZ || "Asia/Shanghai",
): { permitId: string; permitNumber: string; previous: string; endorseBy: string } | null {
  const s = statements(sql);
  const data = parseData(application.data);
  let matches: PermitMatch[] = [];
  if (application.idNumberHash) matches = s.permitsByHash.all(application.idNumberHash) as PermitMatch[];
  const number = typeof data.permitNumber === "string" ? data.permitNumber.trim() : "";
  if (!matches.length && number) {
    const row = s.permitByNumber.get(number) as Omit<PermitMatch, "permitNumber"> | undefined;
    if (row) matches = [{ ...row, permitNumber: number }];
  }
  if (!matches.length) {
    const own = s.permitsByResident.all(application.residentId) as PermitMatch[];
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
  s.moveEndorseBy.run(next, application.idNumberHash ?? null, now, permit.id);
  s.cancelStale.run(now, permit.id, next);
  return { permitId: permit.id, permitNumber: permit.permitNumber, previous: permit.endorseBy, endorseBy: next };
}

function parseData(data: EndorsementApplication["data"]): Record<string, unknown> {
  if (!data) return {};
  if (typeof data !== "string") return data;
  try {
    const parsed = JSON.parse(data);
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export interface ChatPermitInput {
  residentId: string;
  channel: string;
  userId: string;
  /** Exactly one of permitNumber / idNumberHash identifies the permit. */
  permitNumber?: string;
  idNumberHash?: string;
  holderName: string;
  endorseBy: string;
}

export type ChatPermitResult = { outcome: "created" | "updated"; permitNumber: string } | { outcome: "taken" };

/** The permit a resident names in chat, if it exists: whose it is, for the reply before saving. */
export function findChatPermit(
  sql: Database.Database,
  input: Pick<ChatPermitInput, "permitNumber" | "idNumberHash">,
): PermitMatch | null {
  const s = statements(sql);
  if (input.idNumberHash) return ((s.permitsByHash.all(input.idNumberHash) as PermitMatch[])[0] ?? null) as PermitMatch | null;
  if (input.permitNumber) {
    const row = s.permitByNumber.get(input.permitNumber) as Omit<PermitMatch, "permitNumber"> | undefined;
    return row ? { ...row, permitNumber: input.permitNumber } : null;
  }
  return null;
}

/**
 * Registers (or re-dates) a permit from the chat. A permit already linked to another resident is
 * left alone: anyone could type a number, and its reminders would reveal the holder's name.
 */
export function registerChatPermit(sql: Database.Database, input: ChatPermitInput, now: number): ChatPermitResult {
  const s = statements(sql);
  const existing = findChatPermit(sql, input);
  if (existing) {
    if (existing.residentId !== input.residentId) return { outcome: "taken" };
    s.updateChatPermit.run(input.endorseBy, input.residentId, input.channel, input.userId, now, existing.id);
    if (existing.endorseBy !== input.endorseBy) s.cancelStale.run(now, existing.id, input.endorseBy);
    return { outcome: "updated", permitNumber: existing.permitNumber };
  }
  // Registered by ID number: the number itself is never stored, only its keyed hash.
  const permitNumber = input.permitNumber ?? `ID-${(input.idNumberHash ?? randomUUID()).slice(0, 20).toUpperCase()}`;
  s.insertChatPermit.run(
    randomUUID(),
    permitNumber,
    input.holderName,
    input.channel,
    input.userId,
    input.residentId,
    input.idNumberHash ?? null,
    input.endorseBy,
    now,
    now,
  );
  return { outcome: "created", permitNumber };
}

/** How many permits a resident has registered for reminders. */
export function countResidentPermits(sql: Database.Database, residentId: string): number {
  return Number((sql.prepare(`SELECT count(*) AS n FROM "Permit" WHERE residentId = ?`).get(residentId) as { n: number }).n);
}
