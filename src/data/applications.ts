import { localDate } from "../lib/local-time.ts";
import { randomInt, randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { StaleConversationError, type TurnEffect } from "./turn-store.ts";

/** The id of the guided flow that created it (intents/<type>.yml); checked against the loaded flows above this layer. */
export type ApplicationType = string;
export type ApplicationStatus = "pending" | "info_requested" | "approved" | "rejected";

/** What a guided flow hands over on submit. The clear ID number never gets here. */
export interface NewApplication {
  reference: string;
  type: ApplicationType;
  /** Non-identifying slots (district, address, dates, housing type…). */
  data: Record<string, unknown>;
  name?: string | null;
  idNumberEnc?: string | null;
  idNumberHash?: string | null;
  idNumberMasked?: string | null;
  phone?: string | null;
  district?: string | null;
}

export interface ApplicationSummary {
  id: string;
  reference: string;
  type: ApplicationType;
  status: ApplicationStatus;
  name: string | null;
  idNumberMasked: string | null;
  district: string | null;
  data: Record<string, unknown>;
  decisionReason: string | null;
  infoRequest: string | null;
  createdAt: number;
  decidedAt: number | null;
}

/** What a new flow may reuse from the resident's last application of a type (never the clear ID). */
export interface PreviousApplication extends ApplicationSummary {
  idNumberEnc: string | null;
  idNumberHash: string | null;
}

// No 0/O or 1/I: a resident reads the reference out over the phone.
const REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
export const REFERENCE_PATTERN = /YJ\d{8}-[0-9A-Z]{4}/i;

/** YJ20261128-4F7K: the local date of submission and four random characters. */
export function newReference(now: number, timeZone: string): string {
  const parts = localDate(now, timeZone);
  let suffix = "";
  for (let i = 0; i < 4; i++) suffix += REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)];
  return `YJ${parts.replaceAll("-", "")}-${suffix}`;
}

interface Statements {
  insert: Database.Statement;
  exists: Database.Statement;
  list: Database.Statement;
  byReference: Database.Statement;
  latest: Database.Statement;
  pendingDeletion: Database.Statement;
  insertDeletion: Database.Statement;
}

const cache = new WeakMap<Database.Database, Statements>();

const COLUMNS = `id, reference, type, status, name, idNumberMasked, district, data, decisionReason, infoRequest, createdAt, decidedAt`;

function statements(sql: Database.Database): Statements {
  let s = cache.get(sql);
  if (!s) {
    s = {
      insert: sql.prepare(`
        INSERT INTO "Application" (id, reference, type, status, residentId, data, name, idNumberEnc, idNumberHash,
                                   idNumberMasked, phone, district, createdAt, updatedAt)
        VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(reference) DO NOTHING`),
      exists: sql.prepare(`SELECT 1 FROM "Application" WHERE reference = ?`),
      list: sql.prepare(
        `SELECT ${COLUMNS} FROM "Application" WHERE residentId = ? ORDER BY createdAt DESC, reference DESC LIMIT ?`,
      ),
      byReference: sql.prepare(`SELECT ${COLUMNS} FROM "Application" WHERE residentId = ? AND reference = ?`),
      latest: sql.prepare(`
        SELECT ${COLUMNS}, idNumberEnc, idNumberHash FROM "Application"
        WHERE residentId = ? AND type = ? AND status <> 'rejected' ORDER BY createdAt DESC LIMIT 1`),
      pendingDeletion: sql.prepare(`SELECT id FROM "DeletionRequest" WHERE residentId = ? AND status = 'pending'`),
      insertDeletion: sql.prepare(
        `INSERT INTO "DeletionRequest" (id, residentId, status, createdAt) VALUES (?, ?, 'pending', ?)`,
      ),
    };
    cache.set(sql, s);
  }
  return s;
}

type Row = Record<string, unknown>;

function toSummary(r: Row): ApplicationSummary {
  let data: Record<string, unknown> = {};
  try {
    data = JSON.parse(String(r.data ?? "{}")) as Record<string, unknown>;
  } catch {
    // A hand-edited row must not break the resident's status view.
  }
  return {
    id: String(r.id),
    reference: String(r.reference),
    type: r.type as ApplicationType,
    status: r.status as ApplicationStatus,
    name: (r.name as string | null) ?? null,
    idNumberMasked: (r.idNumberMasked as string | null) ?? null,
    district: (r.district as string | null) ?? null,
    data,
    decisionReason: (r.decisionReason as string | null) ?? null,
    infoRequest: (r.infoRequest as string | null) ?? null,
    createdAt: Number(r.createdAt),
    decidedAt: r.decidedAt == null ? null : Number(r.decidedAt),
  };
}

/** True when the reference is already taken (checked before quoting it in a reply). */
export function referenceExists(sql: Database.Database, reference: string): boolean {
  return statements(sql).exists.get(reference) !== undefined;
}

/**
 * Inserts a pending application; run it as a TurnEffect so it commits with the reply that
 * quotes its reference. A reference taken in the meantime aborts the turn as stale, and the
 * engine runs it again with a fresh reference.
 */
export function insertApplication(sql: Database.Database, residentId: string, app: NewApplication, now: number): string {
  const id = randomUUID();
  const info = statements(sql).insert.run(
    id,
    app.reference,
    app.type,
    residentId,
    JSON.stringify(app.data),
    app.name ?? null,
    app.idNumberEnc ?? null,
    app.idNumberHash ?? null,
    app.idNumberMasked ?? null,
    app.phone ?? null,
    app.district ?? null,
    now,
    now,
  );
  if (info.changes !== 1) throw new StaleConversationError();
  return id;
}

/** The application insert as a write of the current turn. */
export function applicationEffect(app: NewApplication): TurnEffect {
  return (tx) => {
    insertApplication(tx.sql, tx.residentId, app, tx.now);
  };
}

/** A resident's applications, newest first. */
export function listApplications(sql: Database.Database, residentId: string, limit = 10): ApplicationSummary[] {
  return (statements(sql).list.all(residentId, limit) as Row[]).map(toSummary);
}

/** One of the resident's own applications by its reference (others' references find nothing). */
export function findApplication(sql: Database.Database, residentId: string, reference: string): ApplicationSummary | null {
  const row = statements(sql).byReference.get(residentId, reference.toUpperCase()) as Row | undefined;
  return row ? toSummary(row) : null;
}

/** The resident's latest application of a type that was not rejected. */
export function latestApplication(sql: Database.Database, residentId: string, type: ApplicationType): PreviousApplication | null {
  const row = statements(sql).latest.get(residentId, type) as Row | undefined;
  if (!row) return null;
  return {
    ...toSummary(row),
    idNumberEnc: (row.idNumberEnc as string | null) ?? null,
    idNumberHash: (row.idNumberHash as string | null) ?? null,
  };
}

/** True when the resident already has a deletion request waiting for staff. */
export function hasPendingDeletion(sql: Database.Database, residentId: string): boolean {
  return statements(sql).pendingDeletion.get(residentId) !== undefined;
}

/** Records a PIPL deletion request for staff, once while one is pending. */
export function deletionRequestEffect(): TurnEffect {
  return (tx) => {
    const s = statements(tx.sql);
    if (s.pendingDeletion.get(tx.residentId)) return;
    s.insertDeletion.run(randomUUID(), tx.residentId, tx.now);
  };
}
