import helmet from "helmet";
import fastifyRateLimit, { normalizeIP } from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { LimitRepo } from "../data/limits.ts";
import type { Clock } from "../lib/clock.ts";
import { AppError, errors } from "./errors.ts";

/** Removes NUL characters from every `text` field (free text) in a parsed body, in place. */
function stripNulFromText(value: unknown, depth = 0): void {
  if (depth > 32 || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (const v of value) stripNulFromText(v, depth + 1);
    return;
  }
  const record = value as Record<string, unknown>;
  if (typeof record.text === "string" && record.text.includes("\u0000")) record.text = record.text.replaceAll("\u0000", "");
  // for…in rather than Object.values/entries: this runs on every request, and allocates nothing.
  for (const key in record) if (Object.hasOwn(record, key)) stripNulFromText(record[key], depth + 1);
}

/** True when a string anywhere in `value` holds a NUL character (PostgreSQL refuses them in text). */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (depth > 32 || value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some((v) => containsNul(v, depth + 1));
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (Object.hasOwn(record, key) && (key.includes("\u0000") || containsNul(record[key], depth + 1))) return true;
  }
  return false;
}

/**
 * The Content-Security-Policy of every page the service serves (the resident chat, the staff
 * console): scripts, styles and requests from this origin only, no inline script or style
 * element, images also as data: URLs (the WeChat QR code), never framed.
 */
export const PAGE_CSP = {
  "default-src": ["'self'"],
  "script-src": ["'self'"],
  "style-src": ["'self'"],
  "img-src": ["'self'", "data:"],
  "connect-src": ["'self'"],
  "font-src": ["'self'"],
  "object-src": ["'none'"],
  "base-uri": ["'none'"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'none'"],
};

/**
 * The headers helmet sets with this configuration, computed once. (@fastify/helmet asks helmet
 * for them again on every request, re-parsing the policy each time: measured at several per cent
 * of a chat turn's CPU; the headers never change.) Plus `Cache-Control: no-store` unless a route
 * says otherwise.
 */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = { "cache-control": "no-store" };
  const collect = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: PAGE_CSP },
    frameguard: { action: "deny" },
    // HTTPS is nginx's (or another proxy's) business; a year of HSTS for this host only.
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false },
    referrerPolicy: { policy: "no-referrer" },
  })({} as never, collect as never, () => undefined);
  return headers;
}

/**
 * The headers of the JSON API (`/api/…`), as OWASP's REST Security Cheat Sheet lists them: JSON is
 * never rendered as a page, so a policy that allows nothing (`default-src 'none'`) and forbids
 * framing replaces the pages' policy, and the browser-isolation headers meant for documents are
 * left out. Seven headers instead of thirteen on the busiest route (measured: each costs Node a
 * validation and a copy on every response).
 */
export const API_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "cross-origin-resource-policy": "same-origin",
  "referrer-policy": "no-referrer",
  "strict-transport-security": "max-age=31536000",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

/** /docs (Swagger UI) sets inline styles from its own script. */
export const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * The store behind @fastify/rate-limit: counters in the database every instance shares
 * (`RateCounter`), so a limit holds across instances; a fixed window per key, as the plugin's
 * own stores count.
 */
function databaseStore(limits: LimitRepo, clock: Clock) {
  return class DatabaseRateLimitStore {
    constructor(
      _options: unknown,
      private readonly prefix = "rl:",
    ) {}

    incr(key: string, callback: (err: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number) {
      const now = clock.now();
      limits.hit(`${this.prefix}${key}`, now, timeWindow).then(
        (c) => callback(null, { current: c.count, ttl: Math.max(0, c.resetAt - now) }),
        (err: Error) => callback(err),
      );
    }

    /** A route's own counters: the route's method and URL name them (createRateLimit passes none). */
    child(routeOptions: { routeInfo?: { method?: string | string[]; url?: string } }) {
      const route = routeOptions.routeInfo?.url ? `${String(routeOptions.routeInfo.method)}:${routeOptions.routeInfo.url}:` : "";
      return new DatabaseRateLimitStore(undefined, `${this.prefix}${route}`);
    }
  };
}

/** The client's address as the rate limits key it: an IPv6 client by its /64, as ISPs hand out prefixes. */
export const addressKey = (request: FastifyRequest): string => normalizeIP(request.ip);

/**
 * Security headers on every response (helmet: CSP, X-Frame-Options DENY, nosniff, no referrer…),
 * `Cache-Control: no-store` unless a route says otherwise (API answers carry personal data and
 * must not sit in a browser's or a proxy's cache), and request limits kept in the database.
 * Routes opt in to a limit with `config.rateLimit`; none is global (the message API belongs to
 * a trusted gateway: it has only the per-resident limit).
 */
export async function registerSecurity(app: FastifyInstance, deps: { limits: LimitRepo; clock: Clock }): Promise<void> {
  const pages = securityHeaders();
  app.addHook("onRequest", (request, reply, done) => {
    reply.headers(request.url.startsWith("/api/") ? API_HEADERS : pages);
    done();
  });
  // PostgreSQL cannot store NUL in text. Free text (a `text` field: a resident's message, a staff
  // reply) loses its NULs, as the engine strips control characters anyway; anywhere else (ids,
  // names, query strings) NUL is a 400 here instead of a database error (a 500) further in.
  // After onRequest, so staff routes still answer an anonymous caller 401 first.
  app.addHook("preValidation", (request, _reply, done) => {
    stripNulFromText(request.body);
    if (containsNul(request.body) || containsNul(request.query) || containsNul(request.params)) {
      done(errors.badRequest("The request contains a NUL character (\\u0000), which no field accepts.", "invalid_request"));
    } else done();
  });
  await app.register(fastifyRateLimit, {
    global: false,
    store: databaseStore(deps.limits, deps.clock) as never,
    keyGenerator: addressKey,
    errorResponseBuilder: (_request, context) => {
      const err = new AppError(429, "rate_limited", `请求太频繁，请 ${Math.ceil(context.ttl / 1000)} 秒后再试。`);
      err.retryAfterSeconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return err;
    },
  });
}
