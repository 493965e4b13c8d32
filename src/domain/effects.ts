import type { NewApplication } from "./applications.ts";
import type { AuditEntry } from "./audit.ts";
import type { DeliveryInput } from "./deliveries.ts";
import type { ConversationStatus } from "./types.ts";

/**
 * Writes a feature asks for, as data. The store applies them in one transaction: a chat turn's
 * effects together with its messages and new state (src/data/turn-store.ts), a staff action's
 * effects on their own (Store.apply). Features never hold a database connection.
 *
 * Effects marked "turn" act for the resident whose turn it is (the store knows who); the others
 * name what they change. An effect whose precondition no longer holds (`ifStatus`) aborts the
 * whole transaction with a ConflictError, so nothing of a stale decision is written.
 */
export type Effect =
  // --- turn effects
  /** Counts a question the assistant could not answer, for staff. */
  | { type: "unanswered.record"; question: string; normalized: string }
  /** 有用 / 没用 on a catalogue entry. */
  | { type: "feedback.record"; entryId: string; helpful: boolean }
  /** A submitted application; a reference taken meanwhile makes the turn run again. */
  | { type: "application.submit"; application: NewApplication }
  /** A PIPL deletion request for staff (once while one is pending). */
  | { type: "deletion.request" }
  /** A permit the resident registered in chat for reminders (see src/data/permits.ts). */
  | {
      type: "permit.registerFromChat";
      permitNumber?: string | undefined;
      idNumberHash?: string | undefined;
      holderName: string;
      endorseBy: string;
    }
  /** The resident's answer to staff's request for more information. */
  /** `answer` has its ID and phone numbers masked; `answerEnc`, when it held any, is the whole answer encrypted. */
  | { type: "application.answerInfoRequest"; applicationId: string; answer: string; answerEnc?: string | undefined }
  /** The resident is queued for staff (counted for the dashboard: handoffs, waiting time). */
  | { type: "handoff.open"; reason: string }
  // --- staff effects
  /** Moves a conversation between statuses if it is still in `ifStatus` (bumps its version). */
  | {
      type: "conversation.transition";
      conversationId: string;
      ifStatus: ConversationStatus;
      status: ConversationStatus;
      claimedBy?: string | null;
      escalatedAt?: number | null;
      escalationReason?: string | null;
      lastHoldingAt?: number | null;
      /** Replaces the dialog state (JSON). */
      state?: string;
      /** Only while still claimed by this staff member (null: unclaimed): a takeover meanwhile is a conflict. */
      ifClaimedBy?: string | null;
    }
  /** Sets top-level keys of a resident's dialog state (e.g. an open information request). */
  | { type: "conversation.mergeState"; residentId: string; values: Record<string, unknown> }
  | { type: "note.add"; id: string; conversationId: string; staffUserId: string; text: string }
  /** Records a decision if the application is still in `ifStatus`. */
  | {
      type: "application.decide";
      applicationId: string;
      ifStatus: string;
      status: string;
      decisionReason: string | null;
      decidedBy: string;
      decided: boolean;
      infoRequest?: string;
    }
  /** An approved endorsement moves the permit's next endorsement date on a year. */
  | {
      type: "permit.endorsementApproved";
      residentId: string;
      idNumberHash: string | null;
      data: Record<string, unknown>;
      timeZone: string;
    }
  /**
   * A resident's PIPL deletion request carried out: their transcript (messages, notes, state),
   * feedback, proactive messages not being sent, permits and nickname go; submitted applications
   * stay for their retention period. The request must still be pending (else ConflictError).
   */
  | { type: "deletion.complete"; requestId: string; residentId: string; doneBy: string }
  | { type: "delivery.enqueue"; delivery: DeliveryInput }
  /** Staff took a queued conversation: the wait of the escalation at `escalatedAt` ends. */
  | { type: "handoff.claim"; conversationId: string; escalatedAt: number; staffUserId: string }
  /**
   * A new version of a catalogue entry (`ifVersion` null: a new entry), if the entry is still at
   * `ifVersion`; every instance rebuilds its catalogue when the store's revision changes.
   */
  | ({ type: "knowledge.publish" } & KnowledgePublish)
  /** The entry's file was read and says what is published (a later change to the file is new). */
  | { type: "knowledge.fileSeen"; entryId: string; fileHash: string }
  | { type: "knowledge.saveDraft"; draft: KnowledgeDraftInput }
  | { type: "knowledge.deleteDraft"; draftId: string }
  /** An unanswered question handled by staff (`how` null: open again). */
  | {
      type: "unanswered.handle";
      questionId: string;
      how: "example" | "draft" | "dismissed" | null;
      entryId?: string | null;
      by?: string | null;
    }
  | { type: "audit.record"; entry: AuditEntry };

export type EffectType = Effect["type"];

/** How a version of a catalogue entry came about. */
export type KnowledgeAction = "seed" | "import" | "publish" | "example" | "reviewed" | "rollback" | "create";

/** A new version of a catalogue entry (content: the entry as JSON, see src/knowledge/content.ts). */
export interface KnowledgePublish {
  entryId: string;
  /** The version it replaces; null for a new entry (a conflict if the id exists). The new one is this + 1. */
  ifVersion: number | null;
  content: string;
  action: KnowledgeAction;
  /** JSON [{ field, before, after }] against the version replaced. */
  changes: string;
  /** file: the content is the entry's file (seed, import); staff: published by staff. */
  source: "file" | "staff";
  /** The file's content hash, when the content comes from the file. */
  fileHash?: string | undefined;
  staffUserId: string | null;
  username: string | null;
}

/** A draft of a new entry (content: its fields as far as written, JSON). */
export interface KnowledgeDraftInput {
  id: string;
  entryId: string | null;
  title: string;
  content: string;
  fromQuestionId: string | null;
  createdBy: string | null;
}

/** Changes to the resident a turn makes (consent, switches, district). */
export interface ResidentPatch {
  consentAt?: number | null;
  consentVersion?: string | null;
  consentWithdrawnAt?: number | null;
  acceptsNotices?: boolean;
  remindersOptOut?: boolean;
  district?: string | null;
  displayName?: string | null;
}

/** Changes to the conversation a turn makes besides its state and status (handoff bookkeeping). */
export interface ConversationPatch {
  escalatedAt?: number | null;
  escalationReason?: string | null;
  lastHoldingAt?: number | null;
  claimedBy?: string | null;
}
