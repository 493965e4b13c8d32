import { randomUUID } from "node:crypto";
import type { AppContext } from "../context.ts";
import { recordAudit, recordReadAudit } from "../data/audit.ts";
import { enqueueDelivery } from "../data/outbox.ts";
import {
  findConversation,
  insertNote,
  listConversationMessages,
  listConversationsByStatus,
  listNotes,
  listResidentApplicationsForStaff,
  type QueueRow,
  updateConversationStatus,
} from "../data/staff.ts";
import { handoffWording } from "../dialog/skills/handoff.ts";
import { parseState } from "../dialog/state.ts";
import { canTransition } from "../dialog/status.ts";
import type { ChannelId, ConversationStatus } from "../dialog/types.ts";
import { errors } from "../http/errors.ts";
import { maskPhone } from "../lib/crypto.ts";
import { redactPersonalData } from "../lib/text.ts";
import type { StaffPrincipal } from "./auth.ts";
import { applicationSummary } from "./labels.ts";
import { kickDispatcher } from "./runtime.ts";

/** A read of the same conversation by the same person is audited at most this often. */
export const READ_AUDIT_WINDOW_MS = 10 * 60 * 1000;
const TRANSCRIPT_LIMIT = 500;

export const escalationReasonLabels: Record<string, string> = {
  requested: "居民要求转人工",
  misunderstood: "连续两次没听懂",
  offer_accepted: "居民同意转人工",
  wage: "欠薪求助",
  dispute: "纠纷",
  distress: "情绪困扰",
};

function queueItem(row: QueueRow, now: number) {
  return {
    id: row.id,
    channel: row.channel,
    status: row.status,
    userId: row.userId,
    displayName: row.displayName,
    district: row.district,
    escalatedAt: row.escalatedAt,
    waitingMs: row.escalatedAt === null ? null : Math.max(0, now - row.escalatedAt),
    escalationReason: row.escalationReason,
    escalationReasonLabel: row.escalationReason ? (escalationReasonLabels[row.escalationReason] ?? row.escalationReason) : null,
    claimedBy: row.claimedBy,
    claimedByName: row.claimedByName,
    lastMessageAt: row.lastMessageAt,
    // A preview in a list: personal numbers masked; the full text is in the audited view.
    preview: row.lastResidentText ? redactPersonalData(row.lastResidentText).slice(0, 80) : null,
  };
}
export type QueueItem = ReturnType<typeof queueItem>;

/** The escalation queue (or another status), oldest escalation first. */
export function listQueue(ctx: AppContext, status: ConversationStatus, limit: number): QueueItem[] {
  const now = ctx.clock.now();
  return listConversationsByStatus(ctx.db.sql, status, limit).map((r) => queueItem(r, now));
}

function load(ctx: AppContext, id: string) {
  const c = findConversation(ctx.db.sql, id);
  if (!c) throw errors.notFound("没有这个会话。");
  return c;
}

/** One conversation for staff: transcript (oldest first), notes and the resident's applications (ID masked). Audited. */
export function viewConversation(ctx: AppContext, staff: StaffPrincipal, id: string) {
  const now = ctx.clock.now();
  const c = load(ctx, id);
  const sql = ctx.db.sql;
  recordReadAudit(
    sql,
    { staffUserId: staff.id, username: staff.username, action: "conversation.view", targetType: "conversation", targetId: id },
    now,
    READ_AUDIT_WINDOW_MS,
  );
  return {
    ...queueItem(c, now),
    messages: listConversationMessages(sql, id, TRANSCRIPT_LIMIT).map((m) => ({
      id: m.id,
      direction: m.direction,
      author: m.author,
      text: m.text,
      intent: m.intent,
      staffName: m.staffName,
      createdAt: m.createdAt,
    })),
    notes: listNotes(sql, id).map((n) => ({ id: n.id, text: n.text, staffName: n.staffName, createdAt: n.createdAt })),
    applications: listResidentApplicationsForStaff(sql, c.residentId).map((a) => ({
      ...applicationSummary(a, ctx.flows),
      phoneMasked: a.phone ? maskPhone(a.phone) : null,
    })),
  };
}

/** Takes a conversation from the queue (or from a colleague with `force`). */
export function claimConversation(ctx: AppContext, staff: StaffPrincipal, id: string, force = false): QueueItem {
  const sql = ctx.db.sql;
  const now = ctx.clock.now();
  sql.transaction(() => {
    const c = load(ctx, id);
    if (c.status === "staff" && c.claimedBy === staff.id) return;
    if (c.status === "staff" && c.claimedBy && !force) {
      throw errors.conflict(`这个会话已由 ${c.claimedByName ?? "其他同事"} 接待。`, "claimed_by_other");
    }
    if (!canTransition(c.status as ConversationStatus, "staff") || c.status === "closed") {
      throw errors.conflict("这个会话现在不能接入。", "invalid_status");
    }
    if (
      !updateConversationStatus(
        sql,
        id,
        c.status,
        { status: "staff", claimedBy: staff.id, escalatedAt: c.escalatedAt ?? now },
        now,
      )
    ) {
      throw errors.conflict("会话状态刚刚变了，请刷新后再试。", "stale");
    }
    recordAudit(
      sql,
      { staffUserId: staff.id, username: staff.username, action: "conversation.claim", targetType: "conversation", targetId: id },
      now,
    );
  })();
  return queueItem(load(ctx, id), now);
}

/** A staff reply: queued for delivery on the resident's channel and written to the transcript, in one transaction. */
export function replyToConversation(ctx: AppContext, staff: StaffPrincipal, id: string, text: string): { messageId: string } {
  const sql = ctx.db.sql;
  const now = ctx.clock.now();
  const messageId = randomUUID();
  sql.transaction(() => {
    const c = load(ctx, id);
    if (c.status === "escalated") {
      // Answering from the queue takes the conversation.
      if (!updateConversationStatus(sql, id, "escalated", { status: "staff", claimedBy: staff.id }, now)) {
        throw errors.conflict("会话状态刚刚变了，请刷新后再试。", "stale");
      }
    } else if (c.status !== "staff") {
      throw errors.conflict("这个会话不在人工服务中，请先接入。", "not_with_staff");
    } else if (c.claimedBy && c.claimedBy !== staff.id && staff.role !== "admin") {
      throw errors.conflict(`这个会话已由 ${c.claimedByName ?? "其他同事"} 接待。`, "claimed_by_other");
    }
    enqueueDelivery(
      sql,
      {
        residentId: c.residentId,
        channel: c.channel as ChannelId,
        kind: "staff",
        text,
        dedupeKey: `staff:${messageId}`,
        author: "staff",
        staffUserId: staff.id,
      },
      now,
    );
    recordAudit(
      sql,
      { staffUserId: staff.id, username: staff.username, action: "conversation.reply", targetType: "conversation", targetId: id },
      now,
    );
  })();
  kickDispatcher(ctx);
  return { messageId };
}

/** An internal note: never shown to the resident. */
export function addNote(ctx: AppContext, staff: StaffPrincipal, id: string, text: string): { id: string } {
  load(ctx, id);
  const noteId = randomUUID();
  insertNote(ctx.db.sql, { id: noteId, conversationId: id, staffUserId: staff.id, text }, ctx.clock.now());
  return { id: noteId };
}

/** Hands the conversation back to the assistant, which tells the resident so. */
export function resolveConversation(ctx: AppContext, staff: StaffPrincipal, id: string): QueueItem {
  const sql = ctx.db.sql;
  const now = ctx.clock.now();
  sql.transaction(() => {
    const c = load(ctx, id);
    if (c.status !== "escalated" && c.status !== "staff") {
      throw errors.conflict("这个会话没有在人工服务中。", "not_with_staff");
    }
    const state = parseState(c.state);
    const fresh = { ...state, misunderstood: 0, offer: undefined, offerReason: undefined, choices: undefined };
    const ok = updateConversationStatus(
      sql,
      id,
      c.status,
      {
        status: "bot",
        claimedBy: null,
        escalatedAt: null,
        escalationReason: null,
        lastHoldingAt: null,
        state: JSON.stringify(fresh),
      },
      now,
    );
    if (!ok) throw errors.conflict("会话状态刚刚变了，请刷新后再试。", "stale");
    enqueueDelivery(
      sql,
      {
        residentId: c.residentId,
        channel: c.channel as ChannelId,
        kind: "staff",
        text: handoffWording.resumed,
        dedupeKey: `staff:${randomUUID()}`,
        author: "bot",
      },
      now,
    );
    recordAudit(
      sql,
      {
        staffUserId: staff.id,
        username: staff.username,
        action: "conversation.resolve",
        targetType: "conversation",
        targetId: id,
      },
      now,
    );
  })();
  kickDispatcher(ctx);
  return queueItem(load(ctx, id), now);
}
