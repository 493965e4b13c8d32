import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { EventEmitter } from "node:events";
import { errors } from "../../http/errors.ts";
import { MAX_TEXT_LENGTH } from "../../lib/text.ts";
import { WEB_WAKE } from "./adapter.ts";

const COOKIE = "yj_sid";
const publicDir = join(dirname(fileURLToPath(import.meta.url)), "public");
const assets: Record<string, [string, string]> = {
  "chat.js": ["application/javascript; charset=utf-8", readFileSync(join(publicDir, "chat.js"), "utf8")],
  "chat.css": ["text/css; charset=utf-8", readFileSync(join(publicDir, "chat.css"), "utf8")],
};
const page = readFileSync(join(publicDir, "index.html"), "utf8");

/**
 * The resident's identity in the web chat: a random id in an httpOnly signed cookie. The page
 * never chooses its own user id, so nobody can read another resident's conversation.
 */
function sessionId(request: FastifyRequest, reply: FastifyReply, create: boolean): string | null {
  const raw = request.cookies[COOKIE];
  if (raw) {
    const unsigned = request.unsignCookie(raw);
    if (unsigned.valid && unsigned.value) return unsigned.value;
  }
  if (!create) return null;
  const id = `w-${randomUUID()}`;
  reply.setCookie(COOKIE, id, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: "auto",
    signed: true,
    maxAge: 60 * 60 * 24 * 365,
  });
  return id;
}

const historyItem = z.object({
  id: z.number(),
  author: z.string(),
  text: z.string(),
  intent: z.string().nullable(),
  sources: z.array(z.object({ id: z.string(), title: z.string() })).optional(),
  choices: z.array(z.string()).optional(),
  createdAt: z.number(),
});

/** The web chat page and its JSON/SSE endpoints (same engine as every other channel). */
export function webChatRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    // One subscription per instance; open pages on this instance listen by resident.
    const pages = new EventEmitter();
    pages.setMaxListeners(0);
    const unsubscribe = ctx.store.subscribe(WEB_WAKE, (userId) => pages.emit(userId));
    app.addHook("onClose", async () => unsubscribe());

    // Open event streams would hold shutdown open: end them before the server stops.
    const streams = new Set<() => void>();
    app.addHook("preClose", async () => {
      for (const end of streams) end();
    });

    app.get("/", { schema: { hide: true } }, async (request, reply) => {
      sessionId(request, reply, true);
      return reply.type("text/html; charset=utf-8").header("cache-control", "no-store").send(page);
    });

    app.get("/assets/:file", { schema: { hide: true, params: z.object({ file: z.string() }) } }, async (request, reply) => {
      const asset = assets[request.params.file];
      if (!asset) throw errors.notFound();
      return reply.type(asset[0]).header("cache-control", "public, max-age=300").send(asset[1]);
    });

    app.post(
      "/chat/messages",
      {
        schema: {
          tags: ["web chat"],
          summary: "Send a message from the web chat (identity from the session cookie)",
          body: z.object({
            text: z.string().max(MAX_TEXT_LENGTH, { error: `最多 ${MAX_TEXT_LENGTH} 个字` }),
            messageId: z.string().min(1).max(128).optional(),
          }),
        },
      },
      async (request, reply) => {
        const userId = sessionId(request, reply, true) as string;
        const result = await ctx.engine.handle({
          channel: "web",
          userId,
          text: request.body.text,
          messageId: request.body.messageId,
        });
        // The resident's other open tabs, on any instance, show the new messages too.
        void ctx.store.publish(WEB_WAKE, userId).catch(() => undefined);
        return result;
      },
    );

    app.get(
      "/chat/history",
      {
        schema: {
          tags: ["web chat"],
          querystring: z.object({ after: z.coerce.number().int().min(0).default(0) }),
          response: { 200: z.object({ messages: z.array(historyItem), handoff: z.boolean() }) },
        },
      },
      async (request, reply) => {
        const userId = sessionId(request, reply, false);
        if (!userId) return { messages: [], handoff: false };
        return ctx.store.conversations.webHistory("web", userId, request.query.after);
      },
    );

    // Server-sent events: wakes the page when something new is in its transcript. The page
    // then fetches /chat/history?after=…, so SSE carries no data that could be missed.
    app.get("/chat/events", { schema: { hide: true } }, (request, reply) => {
      const userId = sessionId(request, reply, false);
      if (!userId) {
        reply.status(401).send({ error: { code: "unauthorized", message: "no chat session" } });
        return;
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      res.write("retry: 3000\n\n");
      const wake = () => res.write("event: wake\ndata: {}\n\n");
      pages.on(userId, wake);
      const ping = setInterval(() => res.write(": ping\n\n"), 25_000);
      const close = () => {
        clearInterval(ping);
        pages.off(userId, wake);
      };
      const end = () => {
        close();
        res.end();
      };
      streams.add(end);
      request.raw.on("close", () => {
        close();
        streams.delete(end);
      });
    });
  };
}
