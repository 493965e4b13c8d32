import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../context.ts";
import { isDbReady } from "../data/db.ts";

/** Liveness (process up) and readiness (database reachable). */
export function healthRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get("/healthz", { schema: { tags: ["ops"], response: { 200: z.object({ status: z.literal("ok") }) } } }, async () => ({
      status: "ok" as const,
    }));
    app.get(
      "/readyz",
      {
        schema: {
          tags: ["ops"],
          response: { 200: z.object({ status: z.string() }), 503: z.object({ status: z.string() }) },
        },
      },
      async (_request, reply) => {
        if (isDbReady(ctx.db)) return { status: "ready" };
        return reply.status(503).send({ status: "database unavailable" });
      },
    );
  };
}
