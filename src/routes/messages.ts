import { timingSafeEqual } from "node:crypto";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../context.ts";
import { turnResultSchema } from "../domain/types.ts";
import { errors } from "../http/errors.ts";
import { MAX_TEXT_LENGTH } from "../lib/text.ts";

const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

const messageBody = z.object({
  channel: z.string({ error: "channel is required" }).min(1, { error: "channel is required" }),
  userId: z.string({ error: "userId is required" }).trim().min(1, { error: "userId is required" }).max(128),
  text: z
    .string({ error: "text is required" })
    .max(MAX_TEXT_LENGTH, { error: `text must be at most ${MAX_TEXT_LENGTH} characters` }),
  messageId: z.string().trim().min(1).max(128).optional(),
});

function tokenMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  const given = Buffer.from(match?.[1] ?? "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** POST /api/v1/messages: the `api` channel's entry to the conversation engine. */
export function messageRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    const token = ctx.config.API_TOKEN;
    const expected = Buffer.from(token ?? "");
    // A plain callback, not an async hook: no promise per message.
    app.addHook("onRequest", (request, _reply, done) => {
      if (!token) done(errors.forbidden("The api channel is not enabled on this server (API_TOKEN is not set)."));
      else if (!tokenMatches(request.headers.authorization, expected))
        done(errors.unauthorized("Missing or wrong bearer token."));
      else done();
    });

    app.post(
      "/api/v1/messages",
      {
        schema: {
          tags: ["messages"],
          summary: "Send a resident's message and get the assistant's replies",
          security: [{ bearer: [] }],
          body: messageBody,
          response: { 200: turnResultSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 429: errorSchema },
        },
        // The handler builds the exact response shape itself, so the hot path skips a second zod
        // pass over the output; the schemas above still document it in /docs.
        serializerCompiler: () => (data) => JSON.stringify(data),
      },
      async (request) => {
        const body = request.body;
        if (body.channel !== "api") {
          throw errors.badRequest(`Unknown channel "${body.channel}": this endpoint accepts "api".`, "unknown_channel");
        }
        const result = await ctx.engine.handle({
          channel: "api",
          userId: body.userId,
          text: body.text,
          messageId: body.messageId,
        });
        if (result.rateLimited) throw errors.tooMany("Too many messages from this user; wait a minute and try again.");
        return {
          conversationId: result.conversationId,
          replies: result.replies,
          ...(result.awaiting ? { awaiting: result.awaiting } : {}),
          handoff: result.handoff,
        };
      },
    );
  };
}
