import type Database from "better-sqlite3";
import { prepared } from "./prepared.ts";

/** A staff account as the auth layer sees it (never the password hash outside this module's callers). */
export interface StaffUserRow {
  id: string;
  username: string;
  displayName: string | null;
  passwordHash: string;
  role: string;
  disabled: boolean;
  mustChangePassword: boolean;
  failedLogins: number;
  lockedUntil: number | null;
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

type Raw = Record<string, unknown>;
const num = (v: unknown): number | null => (v == null ? null : Number(v));

function toUser(r: Raw): StaffUserRow {
  return {
    id: r.id as string,
    username: r.username as string,
    displayName: (r.displayName as string | null) ?? null,
    passwordHash: r.passwordHash as string,
    role: r.role as string,
    disabled: Boolean(r.disabled),
    mustChangePassword: Boolean(r.mustChangePassword),
    failedLogins: Number(r.failedLogins),
    lockedUntil: num(r.lockedUntil),
    createdAt: Number(r.createdAt),
    updatedAt: Number(r.updatedAt),
  };
}

/** Prepared once per connection: the session lookup runs on every staff request. */
const stmt = prepared;

const USER_COLUMNS = `id, username, displayName, passwordHash, role, disabled, mustChangePassword, failedLogins, lockedUntil, createdAt, updatedAt`;

export function countStaffUsers(sql: Database.Database): number {
  return Number((stmt(sql, `SELECT COUNT(*) AS n FROM "StaffUser"`).get() as { n: number }).n);
}

export function findStaffUserByName(sql: Database.Database, username: string): StaffUserRow | null {
  const r = stmt(sql, `SELECT ${USER_COLUMNS} FROM "StaffUser" WHERE username = ?`).get(username) as Raw | undefined;
  return r ? toUser(r) : null;
}

export function findStaffUser(sql: Database.Database, id: string): StaffUserRow | null {
  const r = stmt(sql, `SELECT ${USER_COLUMNS} FROM "StaffUser" WHERE id = ?`).get(id) as Raw | undefined;
  return r ? toUser(r) : null;
}

export function listStaffUsers(sql: Database.Database): StaffUserRow[] {
  return (stmt(sql, `SELECT ${USER_COLUMNS} FROM "StaffUser" ORDER BY createdAt, username`).all() as Raw[]).map(toUser);
}

export function insertStaffUser(
  sql: Database.Database,
  u: {
    id: string;
    username: string;
    displayName: string | null;
    passwordHash: string;
    role: string;
    mustChangePassword?: boolean;
  },
  now: number,
): void {
  stmt(
    sql,
    `INSERT INTO "StaffUser" (id, username, displayName, passwordHash, role, disabled, mustChangePassword, failedLogins, createdAt, updatedAt)
     VALUES (?, ?, ?, ?, ?, 0, ?, 0, ?, ?)`,
  ).run(u.id, u.username, u.displayName, u.passwordHash, u.role, u.mustChangePassword ? 1 : 0, now, now);
}

export function updateStaffUser(
  sql: Database.Database,
  id: string,
  patch: {
    role?: string;
    disabled?: boolean;
    passwordHash?: string;
    mustChangePassword?: boolean;
    displayName?: string | null;
    unlock?: boolean;
  },
  now: number,
): void {
  const sets: string[] = ["updatedAt = ?"];
  const args: unknown[] = [now];
  if (patch.role !== undefined) {
    sets.push("role = ?");
    args.push(patch.role);
  }
  if (patch.disabled !== undefined) {
    sets.push("disabled = ?");
    args.push(patch.disabled ? 1 : 0);
  }
  if (patch.passwordHash !== undefined) {
    sets.push("passwordHash = ?");
    args.push(patch.passwordHash);
  }
  if (patch.mustChangePassword !== undefined) {
    sets.push("mustChangePassword = ?");
    args.push(patch.mustChangePassword ? 1 : 0);
  }
  if (patch.displayName !== undefined) {
    sets.push("displayName = ?");
    args.push(patch.displayName);
  }
  if (patch.unlock) sets.push("failedLogins = 0", "lockedUntil = NULL");
  sql.prepare(`UPDATE "StaffUser" SET ${sets.join(", ")} WHERE id = ?`).run(...args, id);
}

/** One more failed login; locks the account when the count reaches `maxFailures`. Returns true when now locked. */
export function recordLoginFailure(
  sql: Database.Database,
  id: string,
  now: number,
  maxFailures: number,
  lockMs: number,
): boolean {
  return sql.transaction(() => {
    stmt(sql, `UPDATE "StaffUser" SET failedLogins = failedLogins + 1, updatedAt = ? WHERE id = ?`).run(now, id);
    const { failedLogins } = stmt(sql, `SELECT failedLogins FROM "StaffUser" WHERE id = ?`).get(id) as { failedLogins: number };
    if (Number(failedLogins) < maxFailures) return false;
    stmt(sql, `UPDATE "StaffUser" SET failedLogins = 0, lockedUntil = ? WHERE id = ?`).run(now + lockMs, id);
    return true;
  })();
}

export function recordLoginSuccess(sql: Database.Database, id: string, now: number): void {
  stmt(sql, `UPDATE "StaffUser" SET failedLogins = 0, lockedUntil = NULL, updatedAt = ? WHERE id = ?`).run(now, id);
}

export function insertStaffSession(
  sql: Database.Database,
  s: { id: string; staffUserId: string; csrfToken: string; expiresAt: number },
  now: number,
): void {
  stmt(sql, `DELETE FROM "StaffSession" WHERE expiresAt <= ?`).run(now);
  stmt(sql, `INSERT INTO "StaffSession" (id, staffUserId, csrfToken, expiresAt, createdAt) VALUES (?, ?, ?, ?, ?)`).run(
    s.id,
    s.staffUserId,
    s.csrfToken,
    s.expiresAt,
    now,
  );
}

/** The session (by sha256 of its token) with its user, or null. Expiry is checked by the caller. */
export function findStaffSession(sql: Database.Database, sessionId: string): StaffSessionRow | null {
  const r = stmt(
    sql,
    `SELECT s.id AS sessionId, s.csrfToken, s.expiresAt, u.id AS userId, u.username, u.role, u.disabled, u.mustChangePassword
     FROM "StaffSession" s JOIN "StaffUser" u ON u.id = s.staffUserId WHERE s.id = ?`,
  ).get(sessionId) as Raw | undefined;
  if (!r) return null;
  return {
    sessionId: r.sessionId as string,
    csrfToken: r.csrfToken as string,
    expiresAt: Number(r.expiresAt),
    userId: r.userId as string,
    username: r.username as string,
    role: r.role as string,
    disabled: Boolean(r.disabled),
    mustChangePassword: Boolean(r.mustChangePassword),
  };
}

export function deleteStaffSession(sql: Database.Database, sessionId: string): void {
  stmt(sql, `DELETE FROM "StaffSession" WHERE id = ?`).run(sessionId);
}

export function deleteStaffSessionsOf(sql: Database.Database, staffUserId: string): void {
  stmt(sql, `DELETE FROM "StaffSession" WHERE staffUserId = ?`).run(staffUserId);
}

/** What staff asked for and what the resident answered, kept on the application as JSON. */
export interface InfoRequestRecord {
  question: string;
  askedAt: number;
  askedBy: string;
  answer?: string;
  answeredAt?: number;
}

/** The application a resident was asked about, if it still waits for their answer. */
export function findOpenInfoRequest(
  sql: Database.Database,
  applicationId: string,
  residentId: string,
): { id: string; reference: string; type: string } | null {
  const r = stmt(
    sql,
    `SELECT id, reference, type FROM "Application" WHERE id = ? AND residentId = ? AND status = 'info_requested'`,
  ).get(applicationId, residentId) as { id: string; reference: string; type: string } | undefined;
  return r ?? null;
}

/** Attaches the resident's answer and puts the application back in the review queue. */
export function attachInfoAnswer(
  sql: Database.Database,
  applicationId: string,
  residentId: string,
  answer: string,
  now: number,
): boolean {
  const row = stmt(
    sql,
    `SELECT infoRequest FROM "Application" WHERE id = ? AND residentId = ? AND status = 'info_requested'`,
  ).get(applicationId, residentId) as { infoRequest: string | null } | undefined;
  if (!row) return false;
  let record: Partial<InfoRequestRecord> = {};
  try {
    record = row.infoRequest ? (JSON.parse(row.infoRequest) as InfoRequestRecord) : {};
  } catch {
    record = { question: row.infoRequest ?? "" };
  }
  const next = { ...record, answer: record.answer ? `${record.answer}\n${answer}` : answer, answeredAt: now };
  stmt(
    sql,
    `UPDATE "Application" SET status = 'pending', infoRequest = ?, updatedAt = ? WHERE id = ? AND status = 'info_requested'`,
  ).run(JSON.stringify(next), now, applicationId);
  return true;
}

// ---------------------------------------------------------------- conversations

export interface QueueRow {
  id: string;
  residentId: string;
  channel: string;
  userId: string;
  displayName: string | null;
  district: string | null;
  status: string;
  escalatedAt: number | null;
  escalationReason: string | null;
  claimedBy: string | null;
  claimedByName: string | null;
  lastMessageAt: number;
  lastResidentText: string | null;
}

const QUEUE_SELECT = `
  SELECT c.id, c.residentId, r.channel, r.channelUserId AS userId, r.displayName, r.district, c.status, c.escalatedAt,
         c.escalationReason, c.claimedBy, u.username AS claimedByName, c.lastMessageAt,
         (SELECT m.text FROM "Message" m WHERE m.conversationId = c.id AND m.direction = 'in' ORDER BY m.id DESC LIMIT 1)
           AS lastResidentText
  FROM "Conversation" c JOIN "Resident" r ON r.id = c.residentId LEFT JOIN "StaffUser" u ON u.id = c.claimedBy`;

function toQueueRow(r: Raw): QueueRow {
  return {
    id: r.id as string,
    residentId: r.residentId as string,
    channel: r.channel as string,
    userId: r.userId as string,
    displayName: (r.displayName as string | null) ?? null,
    district: (r.district as string | null) ?? null,
    status: r.status as string,
    escalatedAt: num(r.escalatedAt),
    escalationReason: (r.escalationReason as string | null) ?? null,
    claimedBy: (r.claimedBy as string | null) ?? null,
    claimedByName: (r.claimedByName as string | null) ?? null,
    lastMessageAt: Number(r.lastMessageAt),
    lastResidentText: (r.lastResidentText as string | null) ?? null,
  };
}

/** Conversations in one status; escalated and staff ones oldest escalation first (the queue order). */
export function listConversationsByStatus(sql: Database.Database, status: string, limit: number): QueueRow[] {
  const order =
    status === "escalated" || status === "staff" ? "c.escalatedAt IS NULL, c.escalatedAt ASC, c.id" : "c.lastMessageAt DESC";
  return (stmt(sql, `${QUEUE_SELECT} WHERE c.status = ? ORDER BY ${order} LIMIT ?`).all(status, limit) as Raw[]).map(toQueueRow);
}

export function findConversation(sql: Database.Database, id: string): (QueueRow & { state: string; version: number }) | null {
  const r = stmt(sql, `${QUEUE_SELECT.replace("SELECT c.id,", "SELECT c.state, c.version, c.id,")} WHERE c.id = ?`).get(id) as
    | Raw
    | undefined;
  return r ? { ...toQueueRow(r), state: r.state as string, version: Number(r.version) } : null;
}

export interface TranscriptRow {
  id: number;
  direction: string;
  author: string;
  text: string;
  intent: string | null;
  staffUserId: string | null;
  staffName: string | null;
  createdAt: number;
}

/** The last `limit` messages of a conversation, oldest first. */
export function listConversationMessages(sql: Database.Database, conversationId: string, limit: number): TranscriptRow[] {
  const rows = stmt(
    sql,
    `SELECT m.id, m.direction, m.author, m.text, m.intent, m.staffUserId, u.username AS staffName, m.createdAt
     FROM "Message" m LEFT JOIN "StaffUser" u ON u.id = m.staffUserId
     WHERE m.conversationId = ? ORDER BY m.id DESC LIMIT ?`,
  ).all(conversationId, limit) as Raw[];
  return rows.reverse().map((r) => ({
    id: Number(r.id),
    direction: r.direction as string,
    author: r.author as string,
    text: r.text as string,
    intent: (r.intent as string | null) ?? null,
    staffUserId: (r.staffUserId as string | null) ?? null,
    staffName: (r.staffName as string | null) ?? null,
    createdAt: Number(r.createdAt),
  }));
}

export interface NoteRow {
  id: string;
  text: string;
  staffUserId: string;
  staffName: string | null;
  createdAt: number;
}

export function listNotes(sql: Database.Database, conversationId: string): NoteRow[] {
  return (
    stmt(
      sql,
      `SELECT n.id, n.text, n.staffUserId, u.username AS staffName, n.createdAt FROM "StaffNote" n
       LEFT JOIN "StaffUser" u ON u.id = n.staffUserId WHERE n.conversationId = ? ORDER BY n.createdAt, n.id`,
    ).all(conversationId) as Raw[]
  ).map((r) => ({
    id: r.id as string,
    text: r.text as string,
    staffUserId: r.staffUserId as string,
    staffName: (r.staffName as string | null) ?? null,
    createdAt: Number(r.createdAt),
  }));
}

export function insertNote(
  sql: Database.Database,
  note: { id: string; conversationId: string; staffUserId: string; text: string },
  now: number,
): void {
  stmt(sql, `INSERT INTO "StaffNote" (id, conversationId, staffUserId, text, createdAt) VALUES (?, ?, ?, ?, ?)`).run(
    note.id,
    note.conversationId,
    note.staffUserId,
    note.text,
    now,
  );
}

/**
 * Moves a conversation between statuses if it is still in `from` (the caller checked the
 * transition). Bumps the version, so a resident's turn that read the old state runs again.
 */
export function updateConversationStatus(
  sql: Database.Database,
  id: string,
  from: string,
  patch: {
    status: string;
    claimedBy?: string | null;
    escalatedAt?: number | null;
    escalationReason?: string | null;
    lastHoldingAt?: number | null;
    state?: string;
  },
  now: number,
): boolean {
  const sets = ["status = ?", "version = version + 1", "updatedAt = ?"];
  const args: unknown[] = [patch.status, now];
  for (const key of ["claimedBy", "escalatedAt", "escalationReason", "lastHoldingAt", "state"] as const) {
    if (patch[key] !== undefined) {
      sets.push(`"${key}" = ?`);
      args.push(patch[key]);
    }
  }
  return (
    sql.prepare(`UPDATE "Conversation" SET ${sets.join(", ")} WHERE id = ? AND status = ?`).run(...args, id, from).changes === 1
  );
}

/** Replaces the dialog state if it was not changed meanwhile (optimistic, by version). */
export function updateConversationState(
  sql: Database.Database,
  id: string,
  version: number,
  state: string,
  now: number,
): boolean {
  return (
    stmt(sql, `UPDATE "Conversation" SET state = ?, version = version + 1, updatedAt = ? WHERE id = ? AND version = ?`).run(
      state,
      now,
      id,
      version,
    ).changes === 1
  );
}

export function conversationOfResident(
  sql: Database.Database,
  residentId: string,
): { id: string; state: string; version: number } | null {
  const r = stmt(sql, `SELECT id, state, version FROM "Conversation" WHERE residentId = ?`).get(residentId) as Raw | undefined;
  return r ? { id: r.id as string, state: r.state as string, version: Number(r.version) } : null;
}

// ---------------------------------------------------------------- applications

export interface StaffApplicationRow {
  id: string;
  reference: string;
  type: string;
  status: string;
  residentId: string;
  channel: string;
  userId: string;
  displayName: string | null;
  data: string;
  name: string | null;
  idNumberEnc: string | null;
  idNumberHash: string | null;
  idNumberMasked: string | null;
  phone: string | null;
  district: string | null;
  decisionReason: string | null;
  infoRequest: string | null;
  decidedBy: string | null;
  decidedByName: string | null;
  decidedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

const APPLICATION_SELECT = `
  SELECT a.id, a.reference, a.type, a.status, a.residentId, r.channel, r.channelUserId AS userId, r.displayName, a.data, a.name,
         a.idNumberEnc, a.idNumberHash, a.idNumberMasked, a.phone, a.district, a.decisionReason, a.infoRequest, a.decidedBy,
         u.username AS decidedByName, a.decidedAt, a.createdAt, a.updatedAt
  FROM "Application" a JOIN "Resident" r ON r.id = a.residentId LEFT JOIN "StaffUser" u ON u.id = a.decidedBy`;

function toApplication(r: Raw): StaffApplicationRow {
  const s = (k: string) => (r[k] as string | null) ?? null;
  return {
    id: r.id as string,
    reference: r.reference as string,
    type: r.type as string,
    status: r.status as string,
    residentId: r.residentId as string,
    channel: r.channel as string,
    userId: r.userId as string,
    displayName: s("displayName"),
    data: (r.data as string) ?? "{}",
    name: s("name"),
    idNumberEnc: s("idNumberEnc"),
    idNumberHash: s("idNumberHash"),
    idNumberMasked: s("idNumberMasked"),
    phone: s("phone"),
    district: s("district"),
    decisionReason: s("decisionReason"),
    infoRequest: s("infoRequest"),
    decidedBy: s("decidedBy"),
    decidedByName: s("decidedByName"),
    decidedAt: num(r.decidedAt),
    createdAt: Number(r.createdAt),
    updatedAt: Number(r.updatedAt),
  };
}

export interface ApplicationFilter {
  type?: string | undefined;
  status?: string | undefined;
  district?: string | undefined;
  /** createdAt >= from (epoch ms) */
  from?: number | undefined;
  /** createdAt < to (epoch ms) */
  to?: number | undefined;
  limit: number;
  offset: number;
}

/** Applications for review, oldest first (the order they should be handled in). */
export function listApplicationsForStaff(
  sql: Database.Database,
  f: ApplicationFilter,
): { items: StaffApplicationRow[]; total: number } {
  const where: string[] = [];
  const args: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    where.push(clause);
    args.push(value);
  };
  if (f.type) add("a.type = ?", f.type);
  if (f.status) add("a.status = ?", f.status);
  if (f.district) add("a.district = ?", f.district);
  if (f.from !== undefined) add("a.createdAt >= ?", f.from);
  if (f.to !== undefined) add("a.createdAt < ?", f.to);
  const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
  const total = Number((sql.prepare(`SELECT COUNT(*) AS n FROM "Application" a ${clause}`).get(...args) as { n: number }).n);
  const items = (
    sql
      .prepare(`${APPLICATION_SELECT} ${clause} ORDER BY a.createdAt ASC, a.reference LIMIT ? OFFSET ?`)
      .all(...args, f.limit, f.offset) as Raw[]
  ).map(toApplication);
  return { items, total };
}

export function findApplicationForStaff(sql: Database.Database, id: string): StaffApplicationRow | null {
  const r = stmt(sql, `${APPLICATION_SELECT} WHERE a.id = ?`).get(id) as Raw | undefined;
  return r ? toApplication(r) : null;
}

export function listResidentApplicationsForStaff(sql: Database.Database, residentId: string): StaffApplicationRow[] {
  return (stmt(sql, `${APPLICATION_SELECT} WHERE a.residentId = ? ORDER BY a.createdAt DESC`).all(residentId) as Raw[]).map(
    toApplication,
  );
}

/** Records a decision if the application is still in `from`. */
export function updateApplicationDecision(
  sql: Database.Database,
  id: string,
  from: string,
  patch: { status: string; decisionReason: string | null; infoRequest?: string; decidedBy: string; decided: boolean },
  now: number,
): boolean {
  const sets = ["status = ?", "decisionReason = ?", "decidedBy = ?", "updatedAt = ?"];
  const args: unknown[] = [patch.status, patch.decisionReason, patch.decidedBy, now];
  if (patch.decided) {
    sets.push("decidedAt = ?");
    args.push(now);
  }
  if (patch.infoRequest !== undefined) {
    sets.push("infoRequest = ?");
    args.push(patch.infoRequest);
  }
  return (
    sql.prepare(`UPDATE "Application" SET ${sets.join(", ")} WHERE id = ? AND status = ?`).run(...args, id, from).changes === 1
  );
}

// ---------------------------------------------------------------- insight

/** Counts for the dashboard; `dayStart`/`monthStart` are local midnights as epoch ms. */
export function dashboardCounts(sql: Database.Database, now: number, dayStart: number, monthStart: number) {
  const one = (text: string, ...args: unknown[]) => Number((sql.prepare(text).get(...args) as { n: number | null }).n ?? 0);
  const conversationsToday = one(
    `SELECT COUNT(DISTINCT conversationId) AS n FROM "Message" WHERE direction = 'in' AND createdAt >= ?`,
    dayStart,
  );
  const questionsToday = one(`SELECT COUNT(*) AS n FROM "Message" WHERE direction = 'in' AND createdAt >= ?`, dayStart);
  const faqToday = one(
    `SELECT COUNT(*) AS n FROM "Message" WHERE direction = 'in' AND createdAt >= ? AND intent = 'faq'`,
    dayStart,
  );
  const waits = (
    sql.prepare(`SELECT escalatedAt FROM "Conversation" WHERE status = 'escalated' AND escalatedAt IS NOT NULL`).all() as {
      escalatedAt: number;
    }[]
  )
    .map((r) => now - Number(r.escalatedAt))
    .sort((a, b) => a - b);
  const median =
    waits.length === 0
      ? null
      : waits.length % 2
        ? (waits[(waits.length - 1) / 2] as number)
        : Math.round(((waits[waits.length / 2 - 1] as number) + (waits[waits.length / 2] as number)) / 2);
  const withStaff = one(`SELECT COUNT(*) AS n FROM "Conversation" WHERE status = 'staff'`);
  const applicationsPending = one(`SELECT COUNT(*) AS n FROM "Application" WHERE status = 'pending'`);
  const applicationsInfoRequested = one(`SELECT COUNT(*) AS n FROM "Application" WHERE status = 'info_requested'`);
  const remindersSent = one(
    `SELECT COUNT(*) AS n FROM "Delivery" WHERE kind = 'reminder' AND status = 'sent' AND createdAt >= ?`,
    monthStart,
  );
  const remindersFailed = one(
    `SELECT COUNT(*) AS n FROM "Delivery" WHERE kind = 'reminder' AND status IN ('failed', 'unknown') AND createdAt >= ?`,
    monthStart,
  );
  const byDistrict = (
    sql
      .prepare(
        `SELECT COALESCE(district, '') AS district, COUNT(*) AS n FROM "Application"
         WHERE type = 'address_report' AND createdAt >= ? GROUP BY COALESCE(district, '') ORDER BY n DESC, district`,
      )
      .all(monthStart) as { district: string; n: number }[]
  ).map((r) => ({ district: r.district || null, count: Number(r.n) }));
  return {
    conversationsToday,
    questionsToday,
    faqAnsweredToday: faqToday,
    escalationsWaiting: waits.length,
    medianWaitMs: median,
    withStaff,
    applicationsPending,
    applicationsInfoRequested,
    remindersSentThisMonth: remindersSent,
    remindersFailedThisMonth: remindersFailed,
    registrationsThisMonthByDistrict: byDistrict,
  };
}

export function listUnanswered(sql: Database.Database, limit: number) {
  return (
    sql
      .prepare(
        `SELECT id, sample, normalized, count, firstAskedAt, lastAskedAt FROM "UnansweredQuestion"
         ORDER BY count DESC, lastAskedAt DESC LIMIT ?`,
      )
      .all(limit) as Raw[]
  ).map((r) => ({
    id: r.id as string,
    sample: r.sample as string,
    normalized: r.normalized as string,
    count: Number(r.count),
    firstAskedAt: Number(r.firstAskedAt),
    lastAskedAt: Number(r.lastAskedAt),
  }));
}

export function feedbackByEntry(sql: Database.Database) {
  return (
    sql
      .prepare(
        `SELECT entryId, SUM(CASE WHEN helpful = 1 THEN 1 ELSE 0 END) AS helpful,
                SUM(CASE WHEN helpful = 1 THEN 0 ELSE 1 END) AS unhelpful, MAX(createdAt) AS lastAt
         FROM "AnswerFeedback" GROUP BY entryId ORDER BY unhelpful DESC, helpful DESC, entryId`,
      )
      .all() as Raw[]
  ).map((r) => ({
    entryId: r.entryId as string,
    helpful: Number(r.helpful),
    unhelpful: Number(r.unhelpful),
    lastAt: Number(r.lastAt),
  }));
}
