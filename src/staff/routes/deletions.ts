import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { requireRole, staffOf } from "../auth.ts";
import { completeDeletionRequest, listDeletionRequests } from "../deletions.ts";
import { errorResponses, idParams, security } from "./schemas.ts";

export const deletionRequestSchema = z.object({
  id: z.string(),
  status: z.string(),
  createdAt: z.number(),
  doneAt: z.number().nullable().describe("when an admin carried it out (null while pending)"),
  doneBy: z.string().nullable().describe("the admin's username then"),
  channel: z.string(),
  userId: z.string(),
  applications: z.number().describe("submitted applications kept for their retention period"),
});

export const deletionListSchema = z.object({
  items: z.array(deletionRequestSchema),
  applicationRetention: z
    .string()
    .describe('how long submitted applications are kept after their decision, as residents are told it ("3年")'),
});

/**
 * PIPL deletion requests ("删除我的信息"): admins list and carry them out, in the console's
 * 删除请求 screen (screens/deletions.js) or through these calls.
 */
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
          summary: "Residents' deletion requests: pending ones oldest first, done ones latest first",
          security,
          querystring: z.object({ status: z.enum(["pending", "done"]).default("pending") }),
          response: { 200: deletionListSchema, ...errorResponses },
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
