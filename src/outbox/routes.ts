import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../context.ts";
import type { BroadcastProgress } from "../data/broadcasts.ts";
import { channelIds } from "../domain/types.ts";
import { errors } from "../http/errors.ts";
import { requireRole, staffOf } from "../staff/auth.ts";
import { type BroadcastDeps, cancelBroadcast, countRecipients, createBroadcast } from "./broadcasts.ts";

const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const errorResponses = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema } as const;
const security = [{ bearer: [] }];

const audienceSchema = z
  .object({
    channel: z.enum(channelIds).optional(),
    district: z.string().trim().min(1).max(32).optional(),
  })
  .strict();

export const progressSchema = z.object({
  id: z.string(),
  text: z.string(),
  audience: z.object({ channel: z.string().optional(), district: z.string().optional() }),
  status: z.enum(["queued", "sending", "done", "cancelled"]),
  recipients: z.number(),
  sent: z.number(),
  failed: z.number(),
  pending: z.number(),
  cancelled: z.number(),
  unknown: z.number(),
  createdBy: z.string().nullable(),
  createdAt: z.number(),
});

export const deliveryItemSchema = z.object({
  id: z.string(),
  kind: z.string(),
  channel: z.string(),
  status: z.string(),
  text: z.string(),
  attempts: z.number(),
  lastError: z.string().nullable(),
  broadcastId: z.string().nullable(),
  conversationId: z.string().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

const view = (p: BroadcastProgress): z.infer<typeof progressSchema> => ({
  id: p.id,
  text: p.text,
  audience: p.audience,
  status: p.status,
  recipients: p.recipients,
  sent: p.sent,
  failed: p.failed,
  pending: p.pending,
  cancelled: p.cancelled,
  unknown: p.unknown,
  createdBy: p.createdBy,
  createdAt: p.createdAt,
});

/**
 * Staff broadcasts (admins only: one call reaches every resident), and the deliveries that need
 * a person's look (any staff role). Residents who accept notices,
 * optionally by channel and district; dryRun only counts them. Deliveries are paced per channel
 * by the dispatcher and each resident gets a broadcast once.
 */
export function broadcastRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    const admin = requireRole(ctx, "admin");
    const deps = (): BroadcastDeps => ({
      broadcasts: ctx.store.broadcasts,
      clock: ctx.clock,
      log: ctx.log,
      channels: ctx.channels,
      dispatcher: ctx.dispatcher,
    });

    app.post(
      "/api/v1/staff/broadcasts",
      {
        onRequest: admin,
        schema: {
          tags: ["staff: broadcasts"],
          summary: "Send a throttled broadcast (or count its recipients with dryRun)",
          security,
          body: z.object({
            text: z
              .string()
              .trim()
              .min(1, { error: "text is required" })
              .max(1000, { error: "text must be at most 1000 characters" }),
            audience: audienceSchema.default({}),
            dryRun: z.boolean().default(false),
          }),
          response: {
            200: z.object({ id: z.string().nullable(), recipients: z.number(), dryRun: z.boolean() }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const { text, audience, dryRun } = request.body;
        if (dryRun) return { id: null, recipients: await countRecipients(deps(), audience), dryRun: true };
        const me = staffOf(request);
        const created = await createBroadcast(deps(), { text, audience }, me);
        return { ...created, dryRun: false };
      },
    );

    app.get(
      "/api/v1/staff/broadcasts",
      {
        onRequest: admin,
        schema: {
          tags: ["staff: broadcasts"],
          summary: "Recent broadcasts with their progress",
          security,
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
          response: { 200: z.object({ items: z.array(progressSchema) }), ...errorResponses },
        },
      },
      async (request) => ({ items: (await ctx.store.broadcasts.list(request.query.limit, ctx.clock.now())).map(view) }),
    );

    app.get(
      "/api/v1/staff/broadcasts/:id",
      {
        onRequest: admin,
        schema: {
          tags: ["staff: broadcasts"],
          summary: "One broadcast's progress: sent, failed, pending, cancelled",
          security,
          params: z.object({ id: z.string().min(1).max(64) }),
          response: { 200: progressSchema, ...errorResponses },
        },
      },
      async (request) => {
        const progress = await ctx.store.broadcasts.progress(request.params.id, ctx.clock.now());
        if (!progress) throw errors.notFound("No broadcast with this id.");
        return view(progress);
      },
    );

    const anyStaff = requireRole(ctx, "agent", "reviewer", "admin");

    app.get(
      "/api/v1/staff/deliveries",
      {
        onRequest: anyStaff,
        schema: {
          tags: ["staff: broadcasts"],
          summary:
            "Proactive messages that need a look: failed, or unknown (a WeChat send interrupted; it may or may not have arrived)",
          security,
          querystring: z.object({
            status: z.enum(["failed", "unknown", "pending", "sent", "cancelled"]).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: { 200: z.object({ items: z.array(deliveryItemSchema) }), ...errorResponses },
        },
      },
      async (request) => {
        const { status, limit } = request.query;
        return { items: await ctx.store.outbox.list(status ? [status] : ["failed", "unknown"], limit) };
      },
    );

    app.post(
      "/api/v1/staff/deliveries/:id/resend",
      {
        onRequest: anyStaff,
        schema: {
          tags: ["staff: broadcasts"],
          summary: "Send a failed or unknown delivery again (after checking with the resident that it did not arrive)",
          security,
          params: z.object({ id: z.string().min(1).max(200) }),
          response: { 200: z.object({ ok: z.literal(true) }), ...errorResponses, 409: errorSchema },
        },
      },
      async (request) => {
        const me = staffOf(request);
        const now = ctx.clock.now();
        const ok = await ctx.store.outbox.requeue(request.params.id, now, {
          staffUserId: me.id,
          username: me.username,
          action: "delivery.resend",
          targetType: "delivery",
          targetId: request.params.id,
        });
        if (!ok) throw errors.conflict("Only a failed or unknown delivery can be sent again.", "not_resendable");
        ctx.dispatcher.kick();
        return { ok: true as const };
      },
    );

    app.post(
      "/api/v1/staff/broadcasts/:id/cancel",
      {
        onRequest: admin,
        schema: {
          tags: ["staff: broadcasts"],
          summary: "Cancel a broadcast: deliveries not yet sent are cancelled",
          security,
          params: z.object({ id: z.string().min(1).max(64) }),
          response: { 200: progressSchema, ...errorResponses },
        },
      },
      async (request) => {
        const progress = await cancelBroadcast(deps(), request.params.id, staffOf(request));
        if (!progress) throw errors.notFound("No broadcast with this id.");
        return view(progress);
      },
    );
  };
}
