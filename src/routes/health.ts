import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../context.ts";
import { errors } from "../http/errors.ts";

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
        if (ctx.draining) return reply.status(503).send({ status: "draining" });
        if (await ctx.store.ready()) return { status: "ready" };
        return reply.status(503).send({ status: "database unavailable" });
      },
    );
    // Prometheus scrape; with METRICS_TOKEN set it needs `Authorization: Bearer <METRICS_TOKEN>`.
    app.get("/metrics", { schema: { tags: ["ops"], summary: "Prometheus metrics of this instance" } }, async (request, reply) => {
      const token = ctx.config.METRICS_TOKEN;
      if (token && request.headers.authorization !== `Bearer ${token}`) throw errors.unauthorized("metrics need a token");
      const registry = ctx.metrics?.registry;
      if (!registry) throw errors.notFound();
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  };
}
