import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { conversationStatuses } from "../../domain/types.ts";
import { MAX_TEXT_LENGTH } from "../../lib/text.ts";
import { requireRole, staffOf } from "../auth.ts";
import {
  addNote,
  TAKEOVER_REASON_MAX,
  claimConversation,
  listQueue,
  replyToConversation,
  resolveConversation,
  viewConversation,
} from "../conversations.ts";
import { errorResponses, idParams, security } from "./schemas.ts";

export const queueItemSchema = z.object({
  id: z.string(),
  channel: z.string(),
  status: z.string(),
  userId: z.string(),
  displayName: z.string().nullable(),
  district: z.string().nullable(),
  escalatedAt: z.number().nullable(),
  waitingMs: z.number().nullable().describe("How long the resident has been waiting since the escalation"),
  escalationReason: z.string().nullable(),
  escalationReasonLabel: z.string().nullable(),
  claimedBy: z.string().nullable(),
  claimedByName: z.string().nullable(),
  lastMessageAt: z.number(),
  preview: z.string().nullable().describe("The resident's last message, personal numbers masked"),
});

export const conversationSchema = queueItemSchema.extend({
  messages: z.array(
    z.object({
      id: z.number(),
      direction: z.string(),
      author: z.string(),
      text: z.string(),
      intent: z.string().nullable(),
      staffName: z.string().nullable(),
      createdAt: z.number(),
    }),
  ),
  notes: z.array(z.object({ id: z.string(), text: z.string(), staffName: z.string().nullable(), createdAt: z.number() })),
  applications: z.array(
    z.object({
      id: z.string(),
      reference: z.string(),
      type: z.string(),
      typeLabel: z.string(),
      status: z.string(),
      statusLabel: z.string(),
      name: z.string().nullable(),
      idNumberMasked: z.string().nullable(),
      phoneMasked: z.string().nullable(),
      district: z.string().nullable(),
      createdAt: z.number(),
    }),
  ),
});

const textBody = z.object({
  text: z
    .string({ error: "text is required" })
    .trim()
    .min(1, { error: "text is required" })
    .max(MAX_TEXT_LENGTH, { error: `text must be at most ${MAX_TEXT_LENGTH} characters` }),
});

/** Why a colleague's conversation is taken over; blank counts as none. */
const takeoverReason = z.preprocess(
  (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
  z
    .string()
    .trim()
    .max(TAKEOVER_REASON_MAX, { error: `reason must be at most ${TAKEOVER_REASON_MAX} characters` })
    .optional(),
);

/** The escalation queue and one conversation: agents (and admins). */
export function staffConversationRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    const agent = requireRole(ctx, "agent");
    const tags = ["staff: conversations"];

    app.get(
      "/conversations",
      {
        onRequest: agent,
        schema: {
          tags,
          summary: "The escalation queue (status=escalated, oldest first) or conversations in another status",
          security,
          querystring: z.object({
            status: z.preprocess(
              (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
              z.enum(conversationStatuses).default("escalated"),
            ),
            limit: z.coerce.number().int().min(1).max(500).default(200),
          }),
          response: { 200: z.object({ items: z.array(queueItemSchema) }), ...errorResponses },
        },
      },
      async (request) => ({ items: await listQueue(ctx, request.query.status, request.query.limit) }),
    );

    app.get(
      "/conversations/:id",
      {
        onRequest: agent,
        schema: {
          tags,
          summary: "One conversation: messages oldest first, notes, the resident's applications (ID masked)",
          security,
          params: idParams,
          response: { 200: conversationSchema, ...errorResponses },
        },
      },
      async (request) => viewConversation(ctx, staffOf(request), request.params.id),
    );

    app.post(
      "/conversations/:id/claim",
      {
        onRequest: agent,
        schema: {
          tags,
          summary: "Take a conversation from the queue; a colleague's only with force and a reason (audited as a takeover)",
          description:
            "A conversation another staff member holds answers 409 claimed_by_other; with `force: true` but no `reason`, 409 reason_required. " +
            "`reason` (which implies force) is kept in the audit log as conversation.takeover.",
          security,
          params: idParams,
          body: z.object({ force: z.boolean().optional(), reason: takeoverReason }).nullish(),
          response: { 200: queueItemSchema, ...errorResponses },
        },
      },
      async (request) =>
        claimConversation(ctx, staffOf(request), request.params.id, request.body?.force ?? false, request.body?.reason),
    );

    app.post(
      "/conversations/:id/messages",
      {
        onRequest: agent,
        schema: {
          tags,
          summary: "A staff reply, delivered to the resident on their channel",
          security,
          params: idParams,
          body: textBody,
          response: { 200: z.object({ messageId: z.string() }), ...errorResponses },
        },
      },
      async (request) => replyToConversation(ctx, staffOf(request), request.params.id, request.body.text),
    );

    app.post(
      "/conversations/:id/notes",
      {
        onRequest: agent,
        schema: {
          tags,
          summary: "An internal note (never shown to the resident)",
          security,
          params: idParams,
          body: textBody,
          response: { 200: z.object({ id: z.string() }), ...errorResponses },
        },
      },
      async (request) => addNote(ctx, staffOf(request), request.params.id, request.body.text),
    );

    app.post(
      "/conversations/:id/resolve",
      {
        onRequest: agent,
        schema: {
          tags,
          summary: "Hand the conversation back to the bot (the resident is told); a colleague's needs a reason",
          description:
            "No body is needed for a conversation in the queue or held by the caller. One another staff member holds needs " +
            "`{ reason }` (409 reason_required without it), audited as conversation.takeover.",
          security,
          params: idParams,
          body: z.object({ reason: takeoverReason }).nullish(),
          response: { 200: queueItemSchema, ...errorResponses },
        },
      },
      async (request) => resolveConversation(ctx, staffOf(request), request.params.id, request.body?.reason),
    );
  };
}
