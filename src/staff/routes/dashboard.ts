import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { errors } from "../../http/errors.ts";
import { requireRole } from "../auth.ts";
import { buildDashboard, chartCsv, chartNames } from "../dashboard.ts";
import { errorResponses, security } from "./schemas.ts";

const daysQuery = z.object({ days: z.coerce.number().int().min(1).max(90).default(30) });

const seriesSchema = z.object({ name: z.string(), label: z.string(), values: z.array(z.number().nullable()) });
const chartSchema = z.object({
  name: z.string(),
  label: z.string(),
  series: z.array(seriesSchema).optional(),
  items: z.array(z.object({ key: z.string(), label: z.string(), n: z.number() })).optional(),
});

/** The dashboard's charts (any staff role) and each chart's data as CSV. */
export function staffDashboardRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    const anyStaff = requireRole(ctx);
    const tags = ["staff: insight"];

    app.get(
      "/dashboard",
      {
        onRequest: anyStaff,
        schema: {
          tags,
          summary:
            "Charts over the last N local days (conversations, answered share, handoffs, applications, reminders, top entries and unanswered questions)",
          security,
          querystring: daysQuery,
          response: {
            200: z.object({
              from: z.string(),
              to: z.string(),
              days: z.array(z.string()),
              charts: z.record(z.string(), chartSchema),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => buildDashboard(ctx, request.query.days),
    );

    app.get(
      "/dashboard/:file",
      {
        onRequest: anyStaff,
        schema: {
          tags,
          summary: `One chart's data as CSV (UTF-8 with BOM): ${chartNames.map((n) => `${n}.csv`).join(", ")}`,
          security,
          params: z.object({ file: z.string().max(64) }),
          querystring: daysQuery,
        },
      },
      async (request, reply) => {
        const name = /^([A-Za-z]+)\.csv$/.exec(request.params.file)?.[1];
        if (!name || !(chartNames as readonly string[]).includes(name)) {
          throw errors.notFound(`没有这个图表。可以下载：${chartNames.map((n) => `${n}.csv`).join("、")}`);
        }
        const dashboard = await buildDashboard(ctx, request.query.days);
        const csv = chartCsv(dashboard, dashboard.charts[name]!);
        return reply
          .type("text/csv; charset=utf-8")
          .header("content-disposition", `attachment; filename="${name}-${dashboard.from}-${dashboard.to}.csv"`)
          .send(csv);
      },
    );
  };
}
