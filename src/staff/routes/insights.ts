import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { redactPersonalData } from "../../lib/text.ts";
import { requireRole } from "../auth.ts";
import { startOfLocalDay, withinWindow } from "../office-hours.ts";
import { wechatStatus } from "../runtime.ts";
import { errorResponses, security } from "./schemas.ts";

export const statsSchema = z.object({
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

    app.get(
      "/insights/unanswered",
      {
        onRequest: anyStaff,
        schema: {
          tags,
          summary: "Questions the assistant could not answer, most asked first",
          security,
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  id: z.string(),
                  sample: z.string(),
                  count: z.number(),
                  firstAskedAt: z.number(),
                  lastAskedAt: z.number(),
                }),
              ),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => ({
        items: (await ctx.store.insights.listUnanswered(request.query.limit)).map((q) => ({
          id: q.id,
          sample: redactPersonalData(q.sample),
          count: q.count,
          firstAskedAt: q.firstAskedAt,
          lastAskedAt: q.lastAskedAt,
        })),
      }),
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
