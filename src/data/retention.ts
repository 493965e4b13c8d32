import type { ExpressionBuilder } from "kysely";
import { ConflictError } from "./errors.ts";
import { channelIds } from "../domain/types.ts";
import type { Database, DB, Executor } from "./db.ts";

/** What one call deleted. */
export interface PurgeCounts {
  conversations: number;
  messages: number;
  applications: number;
  residents: number;
  deliveries: number;
  unanswered: number;
}

/** One chunk's outcome: `done` when nothing (more) was due; a chunk another instance took meanwhile deletes nothing but is not done. */
export interface PurgeChunk extends PurgeCounts {
  done: boolean;
}

const none = (): PurgeCounts => ({ conversations: 0, messages: 0, applications: 0, residents: 0, deliveries: 0, unanswered: 0 });
const finished = (): PurgeChunk => ({ ...none(), done: true });

/**
 * Deliveries in these states are done with (their text is a copy of what entered the
 * transcript), or — pending, untouched since before the cutoff — never will be: a message due a
 * year ago on a channel since switched off. Never one being sent.
 */
const PURGEABLE = ["sent", "failed", "cancelled", "unknown", "pending"] as const;

/**
 * Deletes personal data past its retention period (src/domain/retention.ts), one small chunk per
 * call, each in one short transaction: a chat turn waits for at most one chunk. Every statement
 * re-checks the cutoff, so a resident who writes while their transcript is being deleted keeps
 * their conversation, two instances running it at once delete nothing twice, and running it
 * again deletes nothing more.
 */
export class RetentionRepo {
  constructor(private readonly db: Database) {}

  /**
   * Transcripts of conversations whose last message is older than `cutoff`: their messages go
   * first (at most `maxMessages` a call); a conversation with none left is deleted with its
   * staff notes and dialog state, its resident's nickname is cleared, and the resident is
   * deleted when nothing else needs them (see `deleteResidentsLeftWithNothing`).
   */
  async purgeTranscripts(cutoff: number, maxConversations = 100, maxMessages = 2000): Promise<PurgeChunk> {
    const k = this.db.k;
    const ids = (
      await k
        .selectFrom("Conversation")
        .select("id")
        .where("lastMessageAt", "<", cutoff)
        .orderBy("lastMessageAt")
        .limit(maxConversations)
        .execute()
    ).map((r) => r.id);
    if (!ids.length) return finished();
    return k.transaction().execute(async (tx) => {
      const counts: PurgeChunk = { ...none(), done: false };
      const stillExpired = tx.selectFrom("Conversation").select("id").where("id", "in", ids).where("lastMessageAt", "<", cutoff);
      const deleted = await tx
        .deleteFrom("Message")
        .where("id", "in", tx.selectFrom("Message").select("id").where("conversationId", "in", stillExpired).limit(maxMessages))
        .executeTakeFirst();
      counts.messages = Number(deleted.numDeletedRows);
      // More messages than one chunk: the conversations go in a later call.
      if (counts.messages >= maxMessages) return counts;
      const gone = await tx
        .deleteFrom("Conversation")
        .where("id", "in", ids)
        .where("lastMessageAt", "<", cutoff)
        .returning("residentId")
        .execute();
      counts.conversations = gone.length;
      const residents = gone.map((r) => r.residentId);
      if (residents.length) {
        await tx.updateTable("Resident").set({ displayName: null }).where("id", "in", residents).execute();
        counts.residents = await this.deleteResidentsLeftWithNothing(tx, residents);
      }
      return counts;
    });
  }

  /** Decided (approved or rejected) applications decided before `cutoff`, whole rows; then residents left with nothing. */
  async purgeApplications(cutoff: number, limit = 500): Promise<PurgeChunk> {
    const k = this.db.k;
    const ids = (
      await k
        .selectFrom("Application")
        .select("id")
        .where("decidedAt", "<", cutoff)
        .where("status", "in", ["approved", "rejected"])
        .limit(limit)
        .execute()
    ).map((r) => r.id);
    if (!ids.length) return finished();
    return k.transaction().execute(async (tx) => {
      const counts: PurgeChunk = { ...none(), done: false };
      const gone = await tx
        .deleteFrom("Application")
        .where("id", "in", ids)
        .where("decidedAt", "<", cutoff)
        .where("status", "in", ["approved", "rejected"])
        .returning("residentId")
        .execute();
      counts.applications = gone.length;
      const residents = [...new Set(gone.map((r) => r.residentId))];
      if (residents.length) counts.residents = await this.deleteResidentsLeftWithNothing(tx, residents);
      return counts;
    });
  }

  /**
   * Proactive messages due and last touched before `cutoff`, except one being sent right now.
   * Walks the (status, channel, notBefore) index: only old rows are read, however many recent
   * ones a broadcast left.
   */
  async purgeDeliveries(cutoff: number, limit = 2000): Promise<PurgeChunk> {
    const k = this.db.k;
    for (const status of PURGEABLE) {
      for (const channel of channelIds) {
        const ids = (
          await k
            .selectFrom("Delivery")
            .select("id")
            .where("status", "=", status)
            .where("channel", "=", channel)
            .where("notBefore", "<", cutoff)
            .where("updatedAt", "<", cutoff)
            .limit(limit)
            .execute()
        ).map((r) => r.id);
        if (!ids.length) continue;
        // Re-checked: a pending one may have been claimed (status 'sending') meanwhile.
        return k.transaction().execute(async (tx) => {
          const gone = await tx
            .deleteFrom("Delivery")
            .where("id", "in", ids)
            .where("status", "=", status)
            .where("updatedAt", "<", cutoff)
            .returning("residentId")
            .execute();
          // A resident whose data was erased on request kept only the notice telling them so.
          const residents = await this.deleteResidentsLeftWithNothing(tx, [...new Set(gone.map((r) => r.residentId))]);
          return { ...none(), deliveries: gone.length, residents, done: false };
        });
      }
    }
    return finished();
  }

  /**
   * Carries out a pending PIPL deletion request (inside the staff action's transaction): the
   * resident's transcript, notes and dialog state, feedback, proactive messages not being sent
   * right now, and permits (with their reminders) are deleted; nickname and district cleared,
   * notices and reminders switched off. The resident row stays with its applications, which are
   * kept for their retention period, so the resident can be told; the retention job removes it
   * once nothing needs it. ConflictError when the request is no longer pending.
   */
  async eraseForDeletionRequest(tx: Executor, requestId: string, residentId: string, doneBy: string, now: number): Promise<void> {
    const done = await tx
      .updateTable("DeletionRequest")
      .set({ status: "done", doneAt: now, doneBy })
      .where("id", "=", requestId)
      .where("residentId", "=", residentId)
      .where("status", "=", "pending")
      .executeTakeFirst();
    if (done.numUpdatedRows !== 1n) throw new ConflictError("deletion request");
    await tx.deleteFrom("Message").where("residentId", "=", residentId).execute();
    await tx.deleteFrom("Conversation").where("residentId", "=", residentId).execute();
    await tx.deleteFrom("AnswerFeedback").where("residentId", "=", residentId).execute();
    await tx.deleteFrom("Delivery").where("residentId", "=", residentId).where("status", "<>", "sending").execute();
    await tx.deleteFrom("Permit").where("residentId", "=", residentId).execute();
    await tx
      .updateTable("Resident")
      .set({ displayName: null, district: null, acceptsNotices: false, remindersOptOut: true, lastSeenAt: now })
      .where("id", "=", residentId)
      .execute();
  }

  /** Samples of unanswered questions (a resident's words, masked) last asked before `cutoff`. */
  async purgeUnanswered(cutoff: number, limit = 2000): Promise<PurgeChunk> {
    const k = this.db.k;
    const ids = (
      await k.selectFrom("UnansweredQuestion").select("id").where("lastAskedAt", "<", cutoff).limit(limit).execute()
    ).map((r) => r.id);
    if (!ids.length) return finished();
    const result = await k
      .deleteFrom("UnansweredQuestion")
      .where("id", "in", ids)
      .where("lastAskedAt", "<", cutoff)
      .executeTakeFirst();
    return { ...none(), unanswered: Number(result.numDeletedRows), done: false };
  }

  /**
   * Deletes those of `ids` that nothing needs any more: no conversation (a transcript within its
   * period), no application (within its period), no permit (reminders are computed from it), no
   * pending deletion request (staff must see it) and nothing still to be delivered. Their
   * finished deliveries, feedback and completed deletion requests go with them (cascade).
   */
  private async deleteResidentsLeftWithNothing(tx: Executor, ids: readonly string[]): Promise<number> {
    if (!ids.length) return 0;
    const unneeded = (eb: ExpressionBuilder<DB, "Resident">) =>
      eb.and([
        eb.not(eb.exists(eb.selectFrom("Conversation as c").select("c.id").whereRef("c.residentId", "=", "Resident.id"))),
        eb.not(eb.exists(eb.selectFrom("Application as a").select("a.id").whereRef("a.residentId", "=", "Resident.id"))),
        eb.not(eb.exists(eb.selectFrom("Permit as p").select("p.id").whereRef("p.residentId", "=", "Resident.id"))),
        eb.not(
          eb.exists(
            eb
              .selectFrom("DeletionRequest as q")
              .select("q.id")
              .whereRef("q.residentId", "=", "Resident.id")
              .where("q.status", "=", "pending"),
          ),
        ),
        eb.not(
          eb.exists(
            eb
              .selectFrom("Delivery as d")
              .select("d.id")
              .whereRef("d.residentId", "=", "Resident.id")
              .where("d.status", "in", ["pending", "sending"]),
          ),
        ),
      ]);
    const result = await tx.deleteFrom("Resident").where("id", "in", ids).where(unneeded).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
