import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { redactPersonalData } from "../../lib/text.ts";
import { localDayBounds } from "../../lib/local-time.ts";
import { requireRole, staffOf } from "../auth.ts";
import { attachQuestion, dismissQuestion, draftFromQuestion, suggestionFor } from "../knowledge.ts";
import { startOfLocalDay, withinWindow } from "../office-hours.ts";
import { wechatStatus } from "../runtime.ts";
import { errorResponses, okSchema, security } from "./schemas.ts";

/** Days of the unanswered list's trend. */
const TREND_DAYS = 14;

const statsSchema = z.object({
  conversationsToday: z.number().describe("Conversations with at least one resident message today (local time)"),
  questionsToday: z.number(),
  faqAnsweredToday: z.number().describe("Resident messages today answered from the catalogue (intent faq)"),
  faqShareToday: z.number().nullable().describe("faqAnsweredToday / questionsToday, 0..1"),
  escalationsWaiting: z.number(),
  medianWaitMs: z.number().nullable(),
  withStaff: z.number(),
  applicationsPending: z.number(),
  applicationsInfoRequested: z.number(),
  remindersSentThisMonth: z.number(),
  remindersFailedThisMonth: z.number(),
  registrationsThisMonthByDistrict: z.array(z.object({ district: z.string().nullable(), count: z.number() })),
  officeOpen: z.boolean(),
  generatedAt: z.number(),
});

/** Dashboard counts, unanswered questions, answer feedback, channel status. */
export function staffInsightRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    const anyStaff = requireRole(ctx);
    const editor = requireRole(ctx, "editor");
    const tags = ["staff: insight"];

    app.get(
      "/stats",
      {
        onRequest: anyStaff,
        schema: { tags, summary: "Counts for the dashboard", security, response: { 200: statsSchema, ...errorResponses } },
      },
      async () => {
        const now = ctx.clock.now();
        const counts = await ctx.store.insights.dashboard(
          now,
          startOfLocalDay(now, ctx.config.TZ),
          startOfLocalDay(now, ctx.config.TZ, true),
        );
        return {
          ...counts,
          faqShareToday: counts.questionsToday ? counts.faqAnsweredToday / counts.questionsToday : null,
          officeOpen: withinWindow(now, ctx.config.OFFICE_HOURS, ctx.config.TZ),
          generatedAt: now,
        };
      },
    );

    const handledSchema = z.object({
      how: z.enum(["example", "draft", "dismissed"]),
      entryId: z.string().optional(),
      by: z.string().nullable(),
      at: z.number(),
    });
    app.get(
      "/insights/unanswered",
      {
        onRequest: anyStaff,
        schema: {
          tags,
          summary: "Questions the assistant could not answer: open ones most asked first, or those handled",
          security,
          querystring: z.object({
            status: z.enum(["open", "handled"]).default("open"),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  id: z.string(),
                  sample: z.string(),
                  count: z.number(),
                  firstAskedAt: z.number(),
                  lastAskedAt: z.number(),
                  trend: z.array(z.number()).describe(`Times asked per local day, the last ${TREND_DAYS} days (today last)`),
                  suggestion: z.object({ entryId: z.string(), title: z.string() }).optional().describe("The closest entry"),
                  handled: handledSchema.optional(),
                }),
              ),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const rows = await ctx.store.insights.listUnanswered(request.query.limit, request.query.status);
        const bounds = localDayBounds(ctx.clock.now(), ctx.config.TZ, TREND_DAYS);
        const trends = await ctx.store.insights.unansweredTrends(
          rows.map((q) => q.id),
          bounds,
        );
        return {
          items: rows.map((q) => {
            const sample = redactPersonalData(q.sample);
            const suggestion = suggestionFor(ctx, sample);
            return {
              id: q.id,
              sample,
              count: q.count,
              firstAskedAt: q.firstAskedAt,
              lastAskedAt: q.lastAskedAt,
              trend: trends.get(q.id) ?? [],
              ...(suggestion ? { suggestion } : {}),
              ...(q.handledHow && q.handledAt !== null
                ? {
                    handled: {
                      how: q.handledHow as "example" | "draft" | "dismissed",
                      ...(q.handledEntryId ? { entryId: q.handledEntryId } : {}),
                      by: q.handledBy,
                      at: q.handledAt,
                    },
                  }
                : {}),
            };
          }),
        };
      },
    );

    const questionParams = z.object({ id: z.string().min(1).max(64) });
    app.post(
      "/insights/unanswered/:id/attach",
      {
        onRequest: editor,
        schema: {
          tags,
          summary: "Add the question to an entry as a new example (a publish) and mark it handled",
          security,
          params: questionParams,
          body: z.strictObject({ entryId: z.string().min(1).max(100) }),
          response: { 200: z.object({ id: z.string(), version: z.number() }), ...errorResponses },
        },
      },
      async (request) => attachQuestion(ctx, staffOf(request), request.params.id, request.body.entryId),
    );

    app.post(
      "/insights/unanswered/:id/draft",
      {
        onRequest: editor,
        schema: {
          tags,
          summary: "Start a draft of a new entry from the question and mark it handled",
          security,
          params: questionParams,
          response: {
            200: z.object({ id: z.string(), title: z.string(), content: z.record(z.string(), z.unknown()) }).passthrough(),
            ...errorResponses,
          },
        },
      },
      async (request) => draftFromQuestion(ctx, staffOf(request), request.params.id),
    );

    app.post(
      "/insights/unanswered/:id/dismiss",
      {
        onRequest: editor,
        schema: {
          tags,
          summary: "Not a real question: handled as dismissed",
          security,
          params: questionParams,
          response: { 200: okSchema, ...errorResponses },
        },
      },
      async (request) => {
        await dismissQuestion(ctx, staffOf(request), request.params.id);
        return { ok: true as const };
      },
    );

    app.get(
      "/insights/feedback",
      {
        onRequest: anyStaff,
        schema: {
          tags,
          summary: "Answer feedback (有用/没用) per catalogue entry, most unhelpful first",
          security,
          response: {
            200: z.object({
              items: z.array(z.object({ entryId: z.string(), helpful: z.number(), unhelpful: z.number(), lastAt: z.number() })),
            }),
            ...errorResponses,
          },
        },
      },
      async () => ({ items: await ctx.store.insights.feedbackByEntry() }),
    );

    app.get(
      "/channels",
      {
        onRequest: requireRole(ctx, "admin"),
        schema: {
          tags,
          summary: "Channel status (WeChat login QR code while it waits for a scan)",
          security,
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  id: z.string(),
                  enabled: z.boolean(),
                  loggedIn: z.boolean().nullable(),
                  qr: z.string().nullable(),
                  user: z.string().nullable(),
                }),
              ),
            }),
            ...errorResponses,
          },
        },
      },
      async () => {
        const wechat = wechatStatus(ctx);
        const items = (["web", "api", "wechat"] as const).map((id) => {
          const enabled = ctx.channels.has(id) || (id === "wechat" && (Boolean(ctx.config.WECHATY_PUPPET) || wechat !== null));
          if (id !== "wechat") return { id, enabled, loggedIn: null, qr: null, user: null };
          return { id, enabled, loggedIn: wechat?.loggedIn ?? null, qr: wechat?.qr ?? null, user: wechat?.user ?? null };
        });
        return { items };
      },
    );
  };
}
