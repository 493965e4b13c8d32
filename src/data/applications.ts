import { randomUUID } from "node:crypto";
import {
  type ApplicationStatus,
  type ApplicationSummary,
  type ApplicationType,
  type InfoRequestRecord,
  type NewApplication,
  type PreviousApplication,
  parseInfoRequest,
} from "../domain/applications.ts";
import type { Database, Executor } from "./db.ts";
import { ConflictError, StaleConversationError } from "./errors.ts";
import { type Prepared, prepare } from "./prepared.ts";

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

const SUMMARY = [
  "id",
  "reference",
  "type",
  "status",
  "name",
  "idNumberMasked",
  "district",
  "data",
  "decisionReason",
  "infoRequest",
  "createdAt",
  "decidedAt",
] as const;

type SummaryRow = {
  id: string;
  reference: string;
  type: string;
  status: string;
  name: string | null;
  idNumberMasked: string | null;
  district: string | null;
  data: string;
  decisionReason: string | null;
  infoRequest: string | null;
  createdAt: number;
  decidedAt: number | null;
};

function toSummary(r: SummaryRow): ApplicationSummary {
  let data: Record<string, unknown> = {};
  try {
    data = JSON.parse(r.data || "{}") as Record<string, unknown>;
  } catch {
    // A hand-edited row must not break the resident's status view.
  }
  return { ...r, type: r.type as ApplicationType, status: r.status as ApplicationStatus, data };
}

export interface DeletionRequestRow {
  id: string;
  status: string;
  createdAt: number;
  /** When it was carried out, and by which admin (username): null while pending. */
  doneAt: number | null;
  doneBy: string | null;
  residentId: string;
  channel: string;
  userId: string;
  /** Submitted applications the resident still has (kept for their retention period). */
  applications: number;
}

/** Applications residents submitted through guided flows, deletion requests, and staff decisions. */
export class ApplicationRepo {
  // The two statements of a flow's submission turn, compiled once (built per use, they cost
  // tens of µs of Kysely each on that turn).
  private readonly selectReference: Prepared<{ reference: string }, { id: string }>;
  private readonly insertPending: Prepared<Record<string, unknown>, unknown>;

  constructor(private readonly db: Database) {
    this.selectReference = prepare((p) => db.k.selectFrom("Application").select("id").where("reference", "=", p("reference")));
    const columns = [
      "id",
      "reference",
      "type",
      "status",
      "residentId",
      "data",
      "name",
      "idNumberEnc",
      "idNumberHash",
      "idNumberMasked",
      "phone",
      "district",
      "createdAt",
      "updatedAt",
    ] as const;
    this.insertPending = prepare((p) =>
      db.k
        .insertInto("Application")
        .values(Object.fromEntries(columns.map((c) => [c, p(c)])) as never)
        .onConflict((oc) => oc.column("reference").doNothing()),
    );
  }

  /** True when the reference is already taken (checked before quoting it in a reply). */
  async referenceExists(reference: string): Promise<boolean> {
    return (await this.selectReference.run(this.db.k, { reference })).rows.length > 0;
  }

  /**
   * Inserts a pending application in the turn that quotes its reference. A reference taken in
   * the meantime aborts the turn as stale, and the engine runs it again with a fresh reference.
   */
  async submit(tx: Executor, residentId: string, app: NewApplication, now: number): Promise<string> {
    const id = randomUUID();
    const result = await this.insertPending.run(tx, {
      id,
      reference: app.reference,
      type: app.type,
      status: "pending",
      residentId,
      data: JSON.stringify(app.data),
      name: app.name ?? null,
      idNumberEnc: app.idNumberEnc ?? null,
      idNumberHash: app.idNumberHash ?? null,
      idNumberMasked: app.idNumberMasked ?? null,
      phone: app.phone ?? null,
      district: app.district ?? null,
      createdAt: now,
      updatedAt: now,
    });
    if (result.numAffectedRows !== 1n) throw new StaleConversationError();
    return id;
  }

  /** A resident's applications, newest first. */
  async listForResident(residentId: string, limit = 10): Promise<ApplicationSummary[]> {
    const rows = await this.db.k
      .selectFrom("Application")
      .select(SUMMARY)
      .where("residentId", "=", residentId)
      .orderBy("createdAt", "desc")
      .orderBy("reference", "desc")
      .limit(limit)
      .execute();
    return rows.map(toSummary);
  }

  /** One of the resident's own applications by its reference (others' references find nothing). */
  async findByReference(residentId: string, reference: string): Promise<ApplicationSummary | null> {
    const row = await this.db.k
      .selectFrom("Application")
      .select(SUMMARY)
      .where("residentId", "=", residentId)
      .where("reference", "=", reference.toUpperCase())
      .executeTakeFirst();
    return row ? toSummary(row) : null;
  }

  /** The resident's latest application of a type that was not rejected. */
  async latest(residentId: string, type: ApplicationType): Promise<PreviousApplication | null> {
    const row = await this.db.k
      .selectFrom("Application")
      .select([...SUMMARY, "idNumberEnc", "idNumberHash"])
      .where("residentId", "=", residentId)
      .where("type", "=", type)
      .where("status", "<>", "rejected")
      .orderBy("createdAt", "desc")
      .limit(1)
      .executeTakeFirst();
    return row ? { ...toSummary(row), idNumberEnc: row.idNumberEnc, idNumberHash: row.idNumberHash } : null;
  }

  /** True when the resident already has a deletion request waiting for staff. */
  async hasPendingDeletion(residentId: string): Promise<boolean> {
    const row = await this.db.k
      .selectFrom("DeletionRequest")
      .select("id")
      .where("residentId", "=", residentId)
      .where("status", "=", "pending")
      .executeTakeFirst();
    return Boolean(row);
  }

  private deletionRequests() {
    return this.db.k
      .selectFrom("DeletionRequest as q")
      .innerJoin("Resident as r", "r.id", "q.residentId")
      .select((eb) => [
        "q.id",
        "q.status",
        "q.createdAt",
        "q.doneAt",
        "q.doneBy",
        "q.residentId",
        "r.channel",
        "r.channelUserId as userId",
        eb
          .selectFrom("Application as a")
          .select((e) => e.fn.countAll<number>().as("n"))
          .whereRef("a.residentId", "=", "r.id")
          .as("applications"),
      ]);
  }

  /** Deletion requests for staff, oldest first, with what is kept for each resident. */
  async listDeletionRequests(status: "pending" | "done", limit: number): Promise<DeletionRequestRow[]> {
    // Pending: the oldest first (the order to work in); done: the latest first.
    const query = this.deletionRequests().where("q.status", "=", status);
    const rows = await (status === "pending"
      ? query.orderBy("q.createdAt")
      : query.orderBy("q.doneAt", "desc").orderBy("q.createdAt", "desc")
    )
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, applications: Number(r.applications ?? 0) }));
  }

  async findDeletionRequest(id: string): Promise<DeletionRequestRow | null> {
    const row = await this.deletionRequests().where("q.id", "=", id).executeTakeFirst();
    return row ? { ...row, applications: Number(row.applications ?? 0) } : null;
  }

  /** Records a PIPL deletion request for staff, once while one is pending. */
  async requestDeletion(tx: Executor, residentId: string, now: number): Promise<void> {
    const pending = await tx
      .selectFrom("DeletionRequest")
      .select("id")
      .where("residentId", "=", residentId)
      .where("status", "=", "pending")
      .executeTakeFirst();
    if (!pending) {
      await tx
        .insertInto("DeletionRequest")
        .values({ id: randomUUID(), residentId, status: "pending", createdAt: now })
        .execute();
    }
  }

  /** The application a resident was asked about, if it still waits for their answer. */
  async findOpenInfoRequest(
    applicationId: string,
    residentId: string,
  ): Promise<{ id: string; reference: string; type: string } | null> {
    const row = await this.db.k
      .selectFrom("Application")
      .select(["id", "reference", "type"])
      .where("id", "=", applicationId)
      .where("residentId", "=", residentId)
      .where("status", "=", "info_requested")
      .executeTakeFirst();
    return row ?? null;
  }

  /** Attaches the resident's answer and puts the application back in the review queue. */
  async answerInfoRequest(
    tx: Executor,
    applicationId: string,
    residentId: string,
    answer: string,
    now: number,
    answerEnc?: string,
  ): Promise<boolean> {
    const row = await tx
      .selectFrom("Application")
      .select("infoRequest")
      .where("id", "=", applicationId)
      .where("residentId", "=", residentId)
      .where("status", "=", "info_requested")
      .executeTakeFirst();
    if (!row) return false;
    const record: Partial<InfoRequestRecord> = parseInfoRequest(row.infoRequest) ?? {};
    const next: Partial<InfoRequestRecord> = {
      ...record,
      answer: record.answer ? `${record.answer}\n${answer}` : answer,
      answeredAt: now,
      ...(answerEnc ? { answerEnc: [...(record.answerEnc ?? []), answerEnc] } : {}),
    };
    await tx
      .updateTable("Application")
      .set({ status: "pending", infoRequest: JSON.stringify(next), updatedAt: now })
      .where("id", "=", applicationId)
      .where("status", "=", "info_requested")
      .execute();
    return true;
  }

  // ------------------------------------------------------------------ staff

  private staffSelect() {
    return this.db.k
      .selectFrom("Application as a")
      .innerJoin("Resident as r", "r.id", "a.residentId")
      .leftJoin("StaffUser as u", "u.id", "a.decidedBy")
      .select([
        "a.id",
        "a.reference",
        "a.type",
        "a.status",
        "a.residentId",
        "r.channel",
        "r.channelUserId as userId",
        "r.displayName",
        "a.data",
        "a.name",
        "a.idNumberEnc",
        "a.idNumberHash",
        "a.idNumberMasked",
        "a.phone",
        "a.district",
        "a.decisionReason",
        "a.infoRequest",
        "a.decidedBy",
        "u.username as decidedByName",
        "a.decidedAt",
        "a.createdAt",
        "a.updatedAt",
      ]);
  }

  /** Applications for review, oldest first (the order they should be handled in). */
  async listForStaff(f: ApplicationFilter): Promise<{ items: StaffApplicationRow[]; total: number }> {
    let count = this.db.k.selectFrom("Application as a").select((eb) => eb.fn.countAll<number>().as("n"));
    let items = this.staffSelect();
    if (f.type) {
      count = count.where("a.type", "=", f.type);
      items = items.where("a.type", "=", f.type);
    }
    if (f.status) {
      count = count.where("a.status", "=", f.status);
      items = items.where("a.status", "=", f.status);
    }
    if (f.district) {
      count = count.where("a.district", "=", f.district);
      items = items.where("a.district", "=", f.district);
    }
    if (f.from !== undefined) {
      count = count.where("a.createdAt", ">=", f.from);
      items = items.where("a.createdAt", ">=", f.from);
    }
    if (f.to !== undefined) {
      count = count.where("a.createdAt", "<", f.to);
      items = items.where("a.createdAt", "<", f.to);
    }
    const [total, rows] = await Promise.all([
      count.executeTakeFirstOrThrow(),
      items.orderBy("a.createdAt", "asc").orderBy("a.reference").limit(f.limit).offset(f.offset).execute(),
    ]);
    return { items: rows, total: Number(total.n) };
  }

  async findForStaff(id: string): Promise<StaffApplicationRow | null> {
    return (await this.staffSelect().where("a.id", "=", id).executeTakeFirst()) ?? null;
  }

  async listForResidentStaff(residentId: string): Promise<StaffApplicationRow[]> {
    return this.staffSelect().where("a.residentId", "=", residentId).orderBy("a.createdAt", "desc").execute();
  }

  /** Records a decision if the application is still in `ifStatus` (else ConflictError). */
  async decide(
    tx: Executor,
    d: {
      applicationId: string;
      ifStatus: string;
      status: string;
      decisionReason: string | null;
      decidedBy: string;
      decided: boolean;
      infoRequest?: string | undefined;
    },
    now: number,
  ): Promise<void> {
    const result = await tx
      .updateTable("Application")
      .set({
        status: d.status,
        decisionReason: d.decisionReason,
        decidedBy: d.decidedBy,
        updatedAt: now,
        ...(d.decided ? { decidedAt: now } : {}),
        ...(d.infoRequest !== undefined ? { infoRequest: d.infoRequest } : {}),
      })
      .where("id", "=", d.applicationId)
      .where("status", "=", d.ifStatus)
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n) throw new ConflictError("application");
  }
}
