import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { requireRole, staffOf } from "../auth.ts";
import { completeDeletionRequest, listDeletionRequests } from "../deletions.ts";
import { errorResponses, idParams, security } from "./schemas.ts";

const requestSchema = z.object({
  id: z.string(),
  status: z.string(),
  createdAt: z.number(),
  channel: z.string(),
  userId: z.string(),
  applications: z.number().describe("submitted applications kept for their retention period"),
});

/** PIPL deletion requests ("删除我的信息"): admins list and carry them out. No console screen yet. */
export function staffDeletionRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    const admin = requireRole(ctx, "admin");
    const tags = ["staff: deletion requests"];

    app.get(
      "/deletion-requests",
      {
        onRequest: admin,
        schema: {
          tags,
          summary: "Residents' deletion requests, oldest first",
          security,
          querystring: z.object({ status: z.enum(["pending", "done"]).default("pending") }),
          response: { 200: z.object({ items: z.array(requestSchema) }), ...errorResponses },
        },
      },
      async (request, reply) => {
        reply.header("cache-control", "no-store");
        return listDeletionRequests(ctx, request.query.status);
      },
    );

    app.post(
      "/deletion-requests/:id/complete",
      {
        onRequest: admin,
        schema: {
          tags,
          summary:
            "Erase the resident's transcript, feedback, permits and queued messages (applications stay for their retention period); the resident is told; audited",
          security,
          params: idParams,
          response: {
            200: z.object({ id: z.string(), status: z.literal("done"), applicationsKept: z.number() }),
            ...errorResponses,
          },
        },
      },
      async (request) => completeDeletionRequest(ctx, staffOf(request), request.params.id),
    );
  };
}
