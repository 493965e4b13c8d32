import { randomUUID } from "node:crypto";
import type { AppContext } from "../context.ts";
import type { QueueRow } from "../data/conversations.ts";
import { ConflictError } from "../data/errors.ts";
import { handoffWording } from "../dialog/skills/handoff.ts";
import { parseState } from "../dialog/state.ts";
import { canTransition } from "../domain/conversation-status.ts";
import type { Effect } from "../domain/effects.ts";
import type { ChannelId, ConversationStatus } from "../domain/types.ts";
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
export async function listQueue(ctx: AppContext, status: ConversationStatus, limit: number): Promise<QueueItem[]> {
  const now = ctx.clock.now();
  return (await ctx.store.conversations.listByStatus(status, limit)).map((r) => queueItem(r, now));
}

async function load(ctx: AppContext, id: string) {
  const c = await ctx.store.conversations.find(id);
  if (!c) throw errors.notFound("没有这个会话。");
  return c;
}

/** Applies a staff action's writes; a conversation changed meanwhile answers 409 "refresh". */
async function commit(ctx: AppContext, effects: Effect[], now: number): Promise<void> {
  try {
    await ctx.store.apply(effects, now);
  } catch (err) {
    if (err instanceof ConflictError) throw errors.conflict("会话状态刚刚变了，请刷新后再试。", "stale");
    throw err;
  }
}

/** One conversation for staff: transcript (oldest first), notes and the resident's applications (ID masked). Audited. */
export async function viewConversation(ctx: AppContext, staff: StaffPrincipal, id: string) {
  const now = ctx.clock.now();
  const c = await load(ctx, id);
  const { conversations, applications, audit } = ctx.store;
  await audit.recordRead(
    { staffUserId: staff.id, username: staff.username, action: "conversation.view", targetType: "conversation", targetId: id },
    now,
    READ_AUDIT_WINDOW_MS,
  );
  const [messages, notes, apps] = await Promise.all([
    conversations.messages(id, TRANSCRIPT_LIMIT),
    conversations.notes(id),
    applications.listForResidentStaff(c.residentId),
  ]);
  return {
    ...queueItem(c, now),
    messages: messages.map((m) => ({
      id: m.id,
      direction: m.direction,
      author: m.author,
      text: m.text,
      intent: m.intent,
      staffName: m.staffName,
      createdAt: m.createdAt,
    })),
    notes: notes.map((n) => ({ id: n.id, text: n.text, staffName: n.staffName, createdAt: n.createdAt })),
    applications: apps.map((a) => ({
      ...applicationSummary(a, ctx.flows),
      phoneMasked: a.phone ? maskPhone(a.phone) : null,
    })),
  };
}

/** Taking over a colleague's conversation (claiming it, or resolving it) needs a reason, kept in the audit log. */
export const TAKEOVER_REASON_MAX = 500;

function takeoverEntry(staff: StaffPrincipal, c: QueueRow, what: "claim" | "resolve", reason: string) {
  return {
    type: "audit.record" as const,
    entry: {
      staffUserId: staff.id,
      username: staff.username,
      action: "conversation.takeover",
      targetType: "conversation",
      targetId: c.id,
      // Names and a reason staff wrote for staff: redacted like every audit detail.
      detail: redactPersonalData(`${what} · from ${c.claimedByName ?? c.claimedBy} · ${reason}`).slice(0, 600),
    },
  };
}

function reasonRequired(c: QueueRow, what: string): never {
  throw errors.conflict(
    `这个会话正由 ${c.claimedByName ?? "其他同事"} 接待。要${what}，请写明原因（reason），会记入操作日志。`,
    "reason_required",
  );
}

/**
 * Takes a conversation from the queue. A colleague's conversation only with `force` (or a
 * `reason`, which implies it) and a reason: audited as conversation.takeover, with whom it was
 * taken from and why.
 */
export async function claimConversation(
  ctx: AppContext,
  staff: StaffPrincipal,
  id: string,
  force = false,
  reason?: string,
): Promise<QueueItem> {
  const now = ctx.clock.now();
  const c = await load(ctx, id);
  if (!(c.status === "staff" && c.claimedBy === staff.id)) {
    const takeover = c.status === "staff" && Boolean(c.claimedBy);
    if (takeover && !force && !reason) {
      throw errors.conflict(`这个会话已由 ${c.claimedByName ?? "其他同事"} 接待。`, "claimed_by_other");
    }
    if (takeover && !reason) reasonRequired(c, "接手");
    if (!canTransition(c.status as ConversationStatus, "staff") || c.status === "closed") {
      throw errors.conflict("这个会话现在不能接入。", "invalid_status");
    }
    await commit(
      ctx,
      [
        {
          type: "conversation.transition",
          conversationId: id,
          ifStatus: c.status as ConversationStatus,
          ifClaimedBy: c.claimedBy,
          status: "staff",
          claimedBy: staff.id,
          escalatedAt: c.escalatedAt ?? now,
        },
        // Taken from the queue: the resident's wait ends now (the dashboard's waiting time).
        ...(c.status === "escalated" && c.escalatedAt !== null
          ? [{ type: "handoff.claim" as const, conversationId: id, escalatedAt: c.escalatedAt, staffUserId: staff.id }]
          : []),
        takeover
          ? takeoverEntry(staff, c, "claim", reason as string)
          : {
              type: "audit.record",
              entry: {
                staffUserId: staff.id,
                username: staff.username,
                action: "conversation.claim",
                targetType: "conversation",
                targetId: id,
              },
            },
      ],
      now,
    );
  }
  return queueItem(await load(ctx, id), now);
}

/** A staff reply: queued for delivery on the resident's channel and written to the transcript, in one transaction. */
export async function replyToConversation(
  ctx: AppContext,
  staff: StaffPrincipal,
  id: string,
  text: string,
): Promise<{ messageId: string }> {
  const now = ctx.clock.now();
  const messageId = randomUUID();
  const c = await load(ctx, id);
  const effects: Effect[] = [];
  if (c.status === "escalated") {
    // Answering from the queue takes the conversation.
    effects.push({
      type: "conversation.transition",
      conversationId: id,
      ifStatus: "escalated",
      status: "staff",
      claimedBy: staff.id,
    });
    if (c.escalatedAt !== null) {
      effects.push({ type: "handoff.claim", conversationId: id, escalatedAt: c.escalatedAt, staffUserId: staff.id });
    }
  } else if (c.status !== "staff") {
    throw errors.conflict("这个会话不在人工服务中，请先接入。", "not_with_staff");
  } else if (c.claimedBy && c.claimedBy !== staff.id && staff.role !== "admin") {
    throw errors.conflict(`这个会话已由 ${c.claimedByName ?? "其他同事"} 接待。`, "claimed_by_other");
  }
  effects.push(
    {
      type: "delivery.enqueue",
      delivery: {
        residentId: c.residentId,
        channel: c.channel as ChannelId,
        kind: "staff",
        text,
        dedupeKey: `staff:${messageId}`,
        author: "staff",
        staffUserId: staff.id,
      },
    },
    {
      type: "audit.record",
      entry: {
        staffUserId: staff.id,
        username: staff.username,
        action: "conversation.reply",
        targetType: "conversation",
        targetId: id,
      },
    },
  );
  await commit(ctx, effects, now);
  kickDispatcher(ctx);
  return { messageId };
}

/** An internal note: never shown to the resident. */
export async function addNote(ctx: AppContext, staff: StaffPrincipal, id: string, text: string): Promise<{ id: string }> {
  await load(ctx, id);
  const noteId = randomUUID();
  await ctx.store.apply([{ type: "note.add", id: noteId, conversationId: id, staffUserId: staff.id, text }], ctx.clock.now());
  return { id: noteId };
}

/**
 * Hands the conversation back to the assistant, which tells the resident so. A conversation a
 * colleague holds needs a reason: audited as conversation.takeover as well as the resolve.
 */
export async function resolveConversation(
  ctx: AppContext,
  staff: StaffPrincipal,
  id: string,
  reason?: string,
): Promise<QueueItem> {
  const now = ctx.clock.now();
  const c = await load(ctx, id);
  if (c.status !== "escalated" && c.status !== "staff") {
    throw errors.conflict("这个会话没有在人工服务中。", "not_with_staff");
  }
  const takeover = c.status === "staff" && Boolean(c.claimedBy) && c.claimedBy !== staff.id;
  if (takeover && !reason) reasonRequired(c, "结束");
  const state = parseState(c.state);
  const fresh = { ...state, misunderstood: 0, offer: undefined, offerReason: undefined, choices: undefined };
  await commit(
    ctx,
    [
      {
        type: "conversation.transition",
        conversationId: id,
        ifStatus: c.status,
        ifClaimedBy: c.claimedBy,
        status: "bot",
        claimedBy: null,
        escalatedAt: null,
        escalationReason: null,
        lastHoldingAt: null,
        state: JSON.stringify(fresh),
      },
      {
        type: "delivery.enqueue",
        delivery: {
          residentId: c.residentId,
          channel: c.channel as ChannelId,
          kind: "staff",
          text: handoffWording.resumed,
          dedupeKey: `staff:${randomUUID()}`,
          author: "bot",
        },
      },
      {
        type: "audit.record",
        entry: {
          staffUserId: staff.id,
          username: staff.username,
          action: "conversation.resolve",
          targetType: "conversation",
          targetId: id,
        },
      },
      ...(takeover ? [takeoverEntry(staff, c, "resolve", reason as string)] : []),
    ],
    now,
  );
  kickDispatcher(ctx);
  return queueItem(await load(ctx, id), now);
}
