import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Effect } from "../domain/effects.ts";
import { ApplicationRepo } from "./applications.ts";
import { AuditRepo } from "./audit.ts";
import { BroadcastRepo } from "./broadcasts.ts";
import { ConversationRepo } from "./conversations.ts";
import { DashboardRepo } from "./dashboard.ts";
import { type Database, type Executor, openDatabase } from "./db.ts";
import { InsightRepo } from "./insights.ts";
import { KnowledgeRepo } from "./knowledge.ts";
import { LeaseRepo } from "./leases.ts";
import { LimitRepo } from "./limits.ts";
import { OutboxRepo } from "./outbox.ts";
import { PermitRepo } from "./permits.ts";
import { ReminderRepo } from "./reminders.ts";
import { ResidentRepo } from "./residents.ts";
import { RetentionRepo } from "./retention.ts";
import { SettingRepo } from "./settings.ts";
import { StaffRepo } from "./staff.ts";
import { type TurnScope, TurnStore } from "./turn-store.ts";

export interface StoreOptions {
  log?: Logger | undefined;
  poolSize?: number;
  /** This instance's id (claims, leases); random per process by default. */
  instanceId?: string;
}

/**
 * Everything the service stores, behind async repositories that run on SQLite and PostgreSQL.
 * The rest of the code never sees a connection, SQL or a transaction: it calls these methods,
 * and asks for several writes at once with `apply(effects)` (one transaction).
 */
export class Store {
  readonly instanceId: string;
  readonly audit: AuditRepo;
  readonly conversations: ConversationRepo;
  readonly applications: ApplicationRepo;
  readonly staff: StaffRepo;
  readonly insights: InsightRepo;
  readonly outbox: OutboxRepo;
  readonly permits: PermitRepo;
  readonly reminders: ReminderRepo;
  readonly broadcasts: BroadcastRepo;
  readonly leases: LeaseRepo;
  readonly limits: LimitRepo;
  readonly settings: SettingRepo;
  readonly knowledge: KnowledgeRepo;
  readonly dashboard: DashboardRepo;
  readonly retention: RetentionRepo;
  readonly residents: ResidentRepo;
  readonly turns: TurnStore;

  private constructor(
    private readonly db: Database,
    opts: StoreOptions,
  ) {
    this.instanceId = opts.instanceId ?? randomUUID();
    this.audit = new AuditRepo(db);
    this.conversations = new ConversationRepo(db);
    this.applications = new ApplicationRepo(db);
    this.staff = new StaffRepo(db, this.audit);
    this.insights = new InsightRepo(db);
    this.outbox = new OutboxRepo(db, this.instanceId, this.audit);
    this.permits = new PermitRepo(db, this.audit);
    this.reminders = new ReminderRepo(db, this.outbox);
    this.broadcasts = new BroadcastRepo(db, this.audit);
    this.leases = new LeaseRepo(db);
    this.limits = new LimitRepo(db);
    this.settings = new SettingRepo(db);
    this.knowledge = new KnowledgeRepo(db);
    this.dashboard = new DashboardRepo(db);
    this.retention = new RetentionRepo(db);
    this.residents = new ResidentRepo(db);
    this.turns = new TurnStore(db, (tx, effects, scope, now) => this.applyIn(tx, effects, scope, now));
  }

  /** Opens (creating and migrating) the database named by a `file:` path or a `postgresql://` URL. */
  static async open(url: string, opts: StoreOptions = {}): Promise<Store> {
    const db = await openDatabase(url, { log: opts.log, ...(opts.poolSize ? { poolSize: opts.poolSize } : {}) });
    return new Store(db, opts);
  }

  /** "sqlite" or "postgres", for logs and metrics. */
  get dialect(): string {
    return this.db.dialect;
  }

  /** Where the data is, for the start-up log (no credentials). */
  get where(): string {
    return this.db.where;
  }

  /** Statements sent to the database by this instance so far (metrics; round trips on PostgreSQL). */
  statements(): number {
    return this.db.statements();
  }

  /** True when the database answers (for /readyz). */
  ready(): Promise<boolean> {
    return this.db.ping();
  }

  /**
   * Publishes a small event to every instance (web-chat wake-ups, catalogue publishes): NOTIFY on
   * PostgreSQL; on SQLite only this Store's own listeners (other processes on the file learn of a
   * catalogue publish from its revision, see src/knowledge/live.ts).
   */
  publish(channel: string, payload: string): Promise<void> {
    return this.db.notify(channel, payload);
  }

  subscribe(channel: string, handler: (payload: string) => void): () => void {
    return this.db.listen(channel, handler);
  }

  /**
   * Applies a staff action's effects in one transaction: all of them or, when one's
   * precondition no longer holds (ConflictError), none.
   */
  async apply(effects: readonly Effect[], now: number): Promise<void> {
    await this.db.k.transaction().execute((tx) => this.applyIn(tx, effects, null, now));
  }

  /** Applies effects inside an open transaction; turn effects need the turn's scope. */
  private async applyIn(tx: Executor, effects: readonly Effect[], scope: TurnScope | null, now: number): Promise<void> {
    for (const e of effects) {
      switch (e.type) {
        case "unanswered.record":
          await this.insights.recordUnanswered(tx, e.question, e.normalized, now);
          break;
        case "feedback.record":
          await this.insights.recordFeedback(tx, turnScope(scope, e.type).residentId, e.entryId, e.helpful, now);
          break;
        case "application.submit":
          await this.applications.submit(tx, turnScope(scope, e.type).residentId, e.application, now);
          break;
        case "deletion.request":
          await this.applications.requestDeletion(tx, turnScope(scope, e.type).residentId, now);
          break;
        case "permit.registerFromChat": {
          const s = turnScope(scope, e.type);
          await this.permits.registerFromChat(
            tx,
            {
              residentId: s.residentId,
              channel: s.channel,
              userId: s.userId,
              permitNumber: e.permitNumber,
              idNumberHash: e.idNumberHash,
              holderName: e.holderName,
              endorseBy: e.endorseBy,
            },
            now,
          );
          break;
        }
        case "application.answerInfoRequest":
          await this.applications.answerInfoRequest(
            tx,
            e.applicationId,
            turnScope(scope, e.type).residentId,
            e.answer,
            now,
            e.answerEnc,
          );
          break;
        case "conversation.transition":
          await this.conversations.transition(tx, e.conversationId, e.ifStatus, e, now);
          break;
        case "conversation.mergeState":
          await this.conversations.mergeState(tx, e.residentId, e.values, now);
          break;
        case "note.add":
          await this.conversations.addNote(
            tx,
            { id: e.id, conversationId: e.conversationId, staffUserId: e.staffUserId, text: e.text },
            now,
          );
          break;
        case "application.decide":
          await this.applications.decide(tx, e, now);
          break;
        case "permit.endorsementApproved":
          await this.permits.endorsementApproved(tx, e, now, e.timeZone);
          break;
        case "deletion.complete":
          await this.retention.eraseForDeletionRequest(tx, e.requestId, e.residentId, e.doneBy, now);
          break;
        case "delivery.enqueue":
          await this.outbox.enqueue(tx, e.delivery, now);
          break;
        case "audit.record":
          await this.audit.record(e.entry, now, tx);
          break;
        case "handoff.open":
          await this.conversations.openHandoff(tx, turnScope(scope, e.type).conversationId, e.reason, now);
          break;
        case "handoff.claim":
          await this.conversations.claimHandoff(tx, e.conversationId, e.escalatedAt, e.staffUserId, now);
          break;
        case "knowledge.publish": {
          const { type: _type, ...publish } = e;
          await this.knowledge.publish(tx, publish, now);
          break;
        }
        case "knowledge.fileSeen":
          await this.knowledge.fileSeen(tx, e.entryId, e.fileHash);
          break;
        case "knowledge.saveDraft":
          await this.knowledge.saveDraft(tx, e.draft, now);
          break;
        case "knowledge.deleteDraft":
          await this.knowledge.deleteDraft(tx, e.draftId);
          break;
        case "unanswered.handle":
          await this.insights.handleUnanswered(tx, e.questionId, { how: e.how, entryId: e.entryId, by: e.by }, now);
          break;
        default: {
          const never: never = e;
          throw new Error(`unknown effect ${(never as Effect).type}`);
        }
      }
    }
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/** The scope of a turn effect, which only a turn can apply. */
function turnScope(scope: TurnScope | null, type: string): TurnScope {
  if (!scope) throw new Error(`${type} is a turn effect: it needs the turn's resident`);
  return scope;
}
