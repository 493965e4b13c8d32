import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../context.ts";
import { validatePermitRows } from "../data/permits.ts";
import { errors } from "../http/errors.ts";
import { requireRole, staffOf } from "../staff/auth.ts";
import { runReminderScan } from "./scan.ts";

/** The contract's limit per call; the CLI (npm run import:permits) takes files of any size. */
export const MAX_PERMITS_PER_CALL = 10_000;

const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const errorResponses = { 400: errorSchema, 401: errorSchema, 403: errorSchema } as const;
const security = [{ bearer: [] }];

const reminderItem = z.object({
  id: z.string(),
  permitNumber: z.string(),
  holderName: z.string(),
  endorseBy: z.string(),
  cycle: z.string(),
  stage: z.string(),
  status: z.string(),
  channel: z.string().nullable(),
  attempts: z.number(),
  lastError: z.string().nullable(),
  createdAt: z.number(),
  sentAt: z.number().nullable(),
});

/**
 * Staff API for permits and reminders (reviewers and admins): bulk permit upsert, a scan on
 * demand, and each reminder's delivery status.
 */
export function reminderRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    const staff = requireRole(ctx, "reviewer", "admin");

    app.post(
      "/api/v1/staff/permits",
      {
        onRequest: staff,
        schema: {
          tags: ["staff: reminders"],
          summary: "Bulk upsert of permits (by permitNumber), up to 10,000 rows a call",
          description:
            "Each row is validated on its own: good rows are written, bad rows are reported with their index and reasons. " +
            "A permit is linked to the resident (channel, userId), who is created if they have never written yet.",
          security,
          body: z.array(z.unknown(), { error: "the body must be a JSON array of permit rows" }),
          response: {
            200: z.object({
              upserted: z.number(),
              rejected: z.array(z.object({ index: z.number(), errors: z.array(z.string()) })),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const rows = request.body;
        if (rows.length > MAX_PERMITS_PER_CALL) {
          throw errors.badRequest(
            `At most ${MAX_PERMITS_PER_CALL} rows per call (got ${rows.length}); split the file or use npm run import:permits.`,
            "too_many_rows",
          );
        }
        const { valid, rejected } = validatePermitRows(rows);
        const now = ctx.clock.now();
        const me = staffOf(request);
        const upserted = await ctx.store.permits.upsert(valid, now, {
          staffUserId: me.id,
          username: me.username,
          action: "permits.upsert",
          detail: `upserted=${valid.length} rejected=${rejected.length}`,
        });
        return { upserted, rejected };
      },
    );

    app.post(
      "/api/v1/staff/reminders/run",
      {
        onRequest: staff,
        schema: {
          tags: ["staff: reminders"],
          summary: "Run the reminder scan now (it also runs on its schedule)",
          security,
          response: { 200: z.object({ queued: z.number(), examined: z.number() }), ...errorResponses },
        },
      },
      async () => {
        const result = await runReminderScan(
          { reminders: ctx.store.reminders, timeZone: ctx.config.TZ, log: ctx.log },
          ctx.clock.now(),
        );
        if (result.queued) ctx.dispatcher.kick();
        return { queued: result.queued, examined: result.examined };
      },
    );

    app.get(
      "/api/v1/staff/reminders",
      {
        onRequest: staff,
        schema: {
          tags: ["staff: reminders"],
          summary: "Reminders with their stage, cycle and delivery status (skipped: passed over by the catch-up rule)",
          security,
          querystring: z.object({
            permitNumber: z.string().trim().min(1).max(64).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: { 200: z.object({ items: z.array(reminderItem) }), ...errorResponses },
        },
      },
      async (request) => ({ items: await ctx.store.reminders.list(request.query) }),
    );
  };
}
