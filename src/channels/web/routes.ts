import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { EventEmitter } from "node:events";
import { AppError, errors } from "../../http/errors.ts";
import { addressKey } from "../../http/security.ts";
import { MAX_TEXT_LENGTH } from "../../lib/text.ts";
import { WEB_WAKE } from "./adapter.ts";

const COOKIE = "yj_sid";
const publicDir = join(dirname(fileURLToPath(import.meta.url)), "public");
// A Map, not an object: an asset name such as "constructor" or "__proto__" must be unknown (404), not Object's own.
const assets = new Map<string, [string, string]>([
  ["chat.js", ["application/javascript; charset=utf-8", readFileSync(join(publicDir, "chat.js"), "utf8")]],
  ["chat.css", ["text/css; charset=utf-8", readFileSync(join(publicDir, "chat.css"), "utf8")]],
]);
const page = readFileSync(join(publicDir, "index.html"), "utf8");

/** Limits on the web chat, per client address unless said otherwise (a dormitory shares one). */
export const WEB_LIMITS = {
  /** Messages per minute from one address, all its residents together (each resident also has RATE_LIMIT_PER_MINUTE). */
  messagesPerMinute: 1200,
  /** Event streams opened per minute from one address (a page reconnects every few seconds at worst). */
  streamOpensPerMinute: 300,
  /** Event streams open at once for one chat session (browser tabs) and for one address. */
  streamsPerSession: 4,
  streamsPerAddress: 300,
  /** An open stream's row is renewed this often and lapses this long after its instance stops renewing it. */
  streamRenewMs: 30_000,
  streamTtlMs: 90_000,
} as const;

/** The resident's session from the signed cookie, or null. */
function existingSession(request: FastifyRequest): string | null {
  const raw = request.cookies[COOKIE];
  if (raw) {
    const unsigned = request.unsignCookie(raw);
    if (unsigned.valid && unsigned.value) return unsigned.value;
  }
  return null;
}

/**
 * The resident's identity in the web chat: a random id in an httpOnly signed cookie. The page
 * never chooses its own user id, so nobody can read another resident's conversation. A new
 * session is counted against the address's WEB_SESSIONS_PER_MINUTE: dropping the cookie to get
 * a fresh resident (and a fresh per-resident limit) with every message does not get far.
 * Returns null when that limit is reached.
 */
async function sessionId(
  request: FastifyRequest,
  reply: FastifyReply,
  newSession: (request: FastifyRequest) => Promise<{ isAllowed: boolean; isExceeded?: boolean }>,
): Promise<string | null> {
  const existing = existingSession(request);
  if (existing) return existing;
  const limit = await newSession(request);
  if (!limit.isAllowed && limit.isExceeded) return null;
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

    const newSession = app.createRateLimit({
      keyGenerator: (request) => `web-session:${addressKey(request)}`,
      max: ctx.config.WEB_SESSIONS_PER_MINUTE,
      timeWindow: 60_000,
    });
    const tooManySessions = () => {
      const err = new AppError(429, "rate_limited", "您所在的网络刚刚开始了很多新的对话，请过一分钟再试。");
      err.retryAfterSeconds = 60;
      return err;
    };

    // Open event streams are rows every instance counts; this instance keeps its own alive.
    const renew = setInterval(() => {
      if (streams.size === 0) return;
      const now = ctx.clock.now();
      void ctx.store.limits.renewStreams(ctx.store.instanceId, now, WEB_LIMITS.streamTtlMs).catch(() => undefined);
    }, WEB_LIMITS.streamRenewMs);
    renew.unref();
    app.addHook("onClose", async () => clearInterval(renew));

    app.get("/", { schema: { hide: true } }, async (request, reply) => {
      // Over the address's new-session limit the page still loads, without a session: its first
      // message then gets the friendly 429 below.
      await sessionId(request, reply, newSession);
      return reply.type("text/html; charset=utf-8").send(page);
    });

    app.get("/assets/:file", { schema: { hide: true, params: z.object({ file: z.string() }) } }, async (request, reply) => {
      const asset = assets.get(request.params.file);
      if (!asset) throw errors.notFound();
      return reply.type(asset[0]).header("cache-control", "public, max-age=300").send(asset[1]);
    });

    app.post(
      "/chat/messages",
      {
        config: { rateLimit: { max: WEB_LIMITS.messagesPerMinute, timeWindow: 60_000 } },
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
        const userId = await sessionId(request, reply, newSession);
        if (!userId) throw tooManySessions();
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
      async (request) => {
        const userId = existingSession(request);
        if (!userId) return { messages: [], handoff: false };
        return ctx.store.conversations.webHistory("web", userId, request.query.after);
      },
    );

    // Server-sent events: wakes the page when something new is in its transcript. The page
    // then fetches /chat/history?after=…, so SSE carries no data that could be missed.
    app.get(
      "/chat/events",
      { schema: { hide: true }, config: { rateLimit: { max: WEB_LIMITS.streamOpensPerMinute, timeWindow: 60_000 } } },
      async (request, reply) => {
        const userId = existingSession(request);
        if (!userId) {
          return reply.status(401).send({ error: { code: "unauthorized", message: "no chat session" } });
        }
        // Counted in the database, so the limits hold over every instance. Refused, the page
        // still polls /chat/history, so nothing is missed.
        const streamId = randomUUID();
        const opened = await ctx.store.limits.openStream(
          { id: streamId, sessionKey: userId, address: addressKey(request), owner: ctx.store.instanceId },
          ctx.clock.now(),
          WEB_LIMITS.streamTtlMs,
          { perSession: WEB_LIMITS.streamsPerSession, perAddress: WEB_LIMITS.streamsPerAddress },
        );
        if (opened !== "open") {
          const err = new AppError(429, "too_many_streams", "打开的聊天窗口太多了，请关掉一些再试。");
          err.retryAfterSeconds = 30;
          throw err;
        }
        const forget = () => void ctx.store.limits.closeStream(streamId).catch(() => undefined);
        if (request.raw.destroyed) {
          forget();
          return reply;
        }
        reply.hijack();
        const res = reply.raw;
        // A hijacked reply skips Fastify's header handling: the security headers set on the
        // reply (X-Frame-Options, CSP, nosniff…) are written here with the stream's own.
        res.writeHead(200, {
          ...(reply.getHeaders() as Record<string, string>),
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
          forget();
        });
        return reply;
      },
    );
  };
}
