/**
 * What every HTTP response carries (security headers, no caching of personal data), what an
 * unauthenticated caller learns from the staff API (nothing but 401), odd asset names, and the
 * web chat's limits per address and per session, held in the database across instances.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WEB_LIMITS } from "../src/channels/web/routes.ts";
import { API_TOKEN, createTestApp, type TestApp } from "./helpers/app.ts";
import { bearer, staffToken } from "./helpers/staff.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ WEB_SESSIONS_PER_MINUTE: "3" });
});
afterAll(() => t.close());

describe("security headers", () => {
  it("are on every response: pages, assets, the API, errors", async () => {
    const requests = [
      { method: "GET", url: "/" },
      { method: "GET", url: "/staff" },
      { method: "GET", url: "/assets/chat.js" },
      { method: "GET", url: "/healthz" },
      { method: "GET", url: "/no/such/page" },
      { method: "POST", url: "/api/v1/messages", payload: { channel: "api" }, headers: { authorization: `Bearer ${API_TOKEN}` } },
      {
        method: "POST",
        url: "/api/v1/messages",
        payload: { channel: "api", userId: "h-1", text: "你好" },
        headers: { authorization: `Bearer ${API_TOKEN}` },
      },
      { method: "GET", url: "/api/v1/staff/conversations" },
      { method: "GET", url: "/api/v1/no-such-route" },
    ] as const;
    for (const r of requests) {
      const res = await t.app.inject(r);
      const where = `${r.method} ${r.url} → ${res.statusCode}`;
      expect(res.headers["x-frame-options"], where).toBe("DENY");
      expect(res.headers["x-content-type-options"], where).toBe("nosniff");
      expect(res.headers["referrer-policy"], where).toBe("no-referrer");
      expect(res.headers["strict-transport-security"], where).toBe("max-age=31536000");
      const csp = String(res.headers["content-security-policy"]);
      expect(csp, where).toContain("frame-ancestors 'none'");
      expect(csp, where).not.toContain("unsafe-inline");
      if (r.url.startsWith("/api/")) {
        // JSON is never a page: a policy that allows nothing, and no document-isolation headers.
        expect(csp, where).toBe("default-src 'none'; frame-ancestors 'none'");
        expect(res.headers["content-type"], where).toMatch(/^application\/json/);
        expect(res.headers["cache-control"], where).toBe("no-store");
        expect(res.headers["cross-origin-opener-policy"], where).toBeUndefined();
      } else {
        expect(csp, where).toContain("default-src 'self'");
        expect(csp, where).toContain("script-src 'self'");
        expect(res.headers["cross-origin-opener-policy"], where).toBe("same-origin");
      }
    }
  });

  it("keep the pages working: no inline script or style in the resident page or the console", async () => {
    for (const url of ["/", "/staff"]) {
      const html = (await t.app.inject({ method: "GET", url })).body;
      expect(html, url).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
      expect(html, url).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    }
    // Swagger UI sets styles from its script: its own, slightly wider, policy.
    const docs = await t.app.inject({ method: "GET", url: "/docs" });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain("swagger-initializer.js");
    expect(String(docs.headers["content-security-policy"])).toContain("style-src 'self' 'unsafe-inline'");
  });

  it("mark API answers with personal data no-store, and let static assets be cached", async () => {
    const token = await staffToken(t, "admin");
    await t.say("cache-1", "转人工");
    const queue = await t.app.inject({ method: "GET", url: "/api/v1/staff/conversations", headers: bearer(token) });
    const id = queue.json().items[0].id as string;
    for (const url of [
      "/api/v1/staff/conversations",
      `/api/v1/staff/conversations/${id}`,
      "/api/v1/staff/applications",
      "/api/v1/staff/audit",
    ]) {
      const res = await t.app.inject({ method: "GET", url, headers: bearer(token) });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["cache-control"], url).toBe("no-store");
    }
    const chat = await t.app.inject({ method: "GET", url: "/chat/history" });
    expect(chat.headers["cache-control"]).toBe("no-store");
    expect((await t.app.inject({ method: "GET", url: "/assets/chat.css" })).headers["cache-control"]).toBe("public, max-age=300");
  });
});

describe("odd asset names", () => {
  it("are 404, never 500", async () => {
    for (const name of ["constructor", "__proto__", "valueOf", "toString", "hasOwnProperty", "__defineGetter__", "..%2Fapp.ts"]) {
      for (const prefix of ["/assets/", "/staff/assets/"]) {
        const res = await t.app.inject({ method: "GET", url: `${prefix}${name}` });
        expect(res.statusCode, `${prefix}${name}`).toBe(404);
        expect(res.json().error.code).toBe("not_found");
      }
    }
  });
});

describe("NUL characters", () => {
  it("are dropped from free text, which is stored without them", async () => {
    const token = await staffToken(t, "admin");
    await t.say("nul-text", "转人工");
    const id = (await t.sql.get<{ id: string }>(
      `SELECT c.id FROM "Conversation" c JOIN "Resident" r ON r.id = c.residentId WHERE r.channelUserId = 'nul-text'`,
    ))!.id;
    const reply = await t.app.inject({
      method: "POST",
      url: `/api/v1/staff/conversations/${id}/messages`,
      headers: bearer(token),
      payload: { text: "您\u0000好" },
    });
    expect(reply.statusCode).toBe(200);
    const note = await t.app.inject({
      method: "POST",
      url: `/api/v1/staff/conversations/${id}/notes`,
      headers: bearer(token),
      payload: { text: "备\u0000注" },
    });
    expect(note.statusCode).toBe(200);
    expect(await t.sql.get(`SELECT text FROM "StaffNote" WHERE conversationId = ?`, id)).toEqual({ text: "备注" });
  });

  it("are refused with a 400 anywhere else (PostgreSQL cannot store them: it used to be a 500)", async () => {
    const token = await staffToken(t, "admin");
    const cases = [
      { method: "POST", url: "/api/v1/staff/login", payload: { username: "\u0000", password: "x" } },
      { method: "POST", url: "/chat/messages", payload: { text: "hi", messageId: "\u0000" } },
      {
        method: "POST",
        url: "/api/v1/staff/permits",
        payload: [{ channel: "api", userId: "u", permitNumber: "NUL-1", holderName: "\u0000", endorseBy: "2026-01-01" }],
        headers: bearer(token),
      },
      {
        method: "POST",
        url: "/api/v1/messages",
        payload: { channel: "api", userId: "a\u0000", text: "你好" },
        headers: { authorization: `Bearer ${API_TOKEN}` },
      },
      { method: "GET", url: "/api/v1/staff/reminders?permitNumber=%00", headers: bearer(token) },
      { method: "GET", url: "/api/v1/staff/conversations/a%00b", headers: bearer(token) },
    ] as const;
    for (const c of cases) {
      const res = await t.app.inject(c);
      expect(res.statusCode, `${c.method} ${c.url}`).toBe(400);
      expect(res.json().error.code).toBe("invalid_request");
    }
  });
});

describe("the staff API", () => {
  it("checks credentials before the body: every route answers an anonymous bad body with 401", async () => {
    const doc = (await t.app.inject({ method: "GET", url: "/docs/json" })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const open = new Set(["/api/v1/staff/login", "/api/v1/staff/session"]);
    let checked = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.startsWith("/api/v1/staff/") || open.has(path)) continue;
      for (const method of Object.keys(methods)) {
        const url = path.replace(/\{[^}]+\}/g, "x").replace(/:[A-Za-z]+/g, "x");
        const res = await t.app.inject({
          method: method.toUpperCase() as "GET",
          url: `${url}?limit=-5&status=nonsense`,
          payload: method === "get" ? undefined : { unexpected: ["field"], text: 42, password: 7 },
        });
        expect(res.statusCode, `${method} ${path}: ${res.body}`).toBe(401);
        expect(res.json().error.code).toBe("unauthorized");
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});

describe("the web chat's limits", () => {
  const post = (app: TestApp, ip: string, cookie?: string, text = "你好") =>
    app.app.inject({
      method: "POST",
      url: "/chat/messages",
      payload: { text },
      remoteAddress: ip,
      headers: cookie ? { cookie } : {},
    });
  const cookieOf = (res: { headers: Record<string, unknown> }) =>
    /yj_sid=[^;]+/.exec(String(res.headers["set-cookie"] ?? ""))?.[0];

  it("count new sessions per address, so dropping the cookie does not dodge the per-resident limit", async () => {
    const ip = "10.30.0.1";
    const first = await post(t, ip);
    expect(first.statusCode).toBe(200);
    const cookie = cookieOf(first)!;
    expect((await post(t, ip)).statusCode).toBe(200);
    expect((await post(t, ip)).statusCode).toBe(200);
    const fourth = await post(t, ip);
    expect(fourth.statusCode).toBe(429);
    expect(fourth.json().error.message).toContain("请过一分钟再试");
    expect(fourth.headers["set-cookie"]).toBeUndefined();
    // A resident who keeps their cookie carries on; another address is not affected.
    expect((await post(t, ip, cookie)).statusCode).toBe(200);
    expect((await post(t, "10.30.0.2")).statusCode).toBe(200);
    // The page itself still loads without a session; the first message then explains.
    const page = await t.app.inject({ method: "GET", url: "/", remoteAddress: ip });
    expect(page.statusCode).toBe(200);
    expect(page.headers["set-cookie"]).toBeUndefined();
    t.clock.advance(60_000);
    expect((await post(t, ip)).statusCode).toBe(200);
    // Messages are also limited per address, all residents there together (@fastify/rate-limit).
    const limited = await post(t, ip, cookie);
    expect(limited.headers["x-ratelimit-limit"]).toBe(String(WEB_LIMITS.messagesPerMinute));
    expect(Number(limited.headers["x-ratelimit-remaining"])).toBeLessThan(WEB_LIMITS.messagesPerMinute);
  });

  it("hold across instances sharing the database", async () => {
    const other = await createTestApp({ WEB_SESSIONS_PER_MINUTE: "3" }, { databaseUrl: t.databaseUrl, dir: t.dir });
    try {
      other.clock.set(t.clock.now());
      const ip = "10.31.0.1";
      expect((await post(t, ip)).statusCode).toBe(200);
      expect((await post(other, ip)).statusCode).toBe(200);
      expect((await post(t, ip)).statusCode).toBe(200);
      expect((await post(other, ip)).statusCode).toBe(429);
    } finally {
      await other.close();
    }
  });

  it("cap the event streams one session holds open, and free a place when one closes", async () => {
    const address = await t.app.listen({ host: "127.0.0.1", port: 0 });
    const cookie = cookieOf(await post(t, "127.0.0.1"))!;
    const open = async () => {
      const controller = new AbortController();
      const res = await fetch(`${address}/chat/events`, { headers: { cookie }, signal: controller.signal });
      return { res, close: () => controller.abort() };
    };
    const streams = [];
    for (let i = 0; i < WEB_LIMITS.streamsPerSession; i++) {
      const s = await open();
      expect(s.res.status).toBe(200);
      expect(s.res.headers.get("x-frame-options")).toBe("DENY");
      streams.push(s);
    }
    const extra = await open();
    expect(extra.res.status).toBe(429);
    expect(((await extra.res.json()) as { error: { code: string } }).error.code).toBe("too_many_streams");
    expect(await t.sql.get<{ n: number }>(`SELECT count(*) AS n FROM "EventStream" WHERE sessionKey LIKE 'w-%'`)).toEqual({
      n: WEB_LIMITS.streamsPerSession,
    });
    streams.pop()?.close();
    // The closed stream's row goes once the server sees the connection end.
    for (let i = 0; i < 50; i++) {
      const n = (await t.sql.get<{ n: number }>(`SELECT count(*) AS n FROM "EventStream"`))?.n;
      if (n === WEB_LIMITS.streamsPerSession - 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const again = await open();
    expect(again.res.status).toBe(200);
    for (const s of [...streams, again]) s.close();
  });

  it("count open streams per address over every instance; a dead instance's streams run out", async () => {
    const { limits } = t.ctx.store;
    const now = t.clock.now();
    const caps = { perSession: 10, perAddress: 3 };
    const ttl = WEB_LIMITS.streamTtlMs;
    const openOn = (owner: string, i: number) =>
      limits.openStream({ id: `s-${owner}-${i}`, sessionKey: `w-${owner}-${i}`, address: "10.32.0.1", owner }, now, ttl, caps);
    expect(await openOn("instance-a", 1)).toBe("open");
    expect(await openOn("instance-b", 2)).toBe("open");
    expect(await openOn("instance-a", 3)).toBe("open");
    expect(await openOn("instance-b", 4)).toBe("address_full");
    // instance-b renews its streams, instance-a died: its rows lapse and make room.
    await limits.renewStreams("instance-b", now + ttl - 1000, ttl);
    expect(
      await limits.openStream(
        { id: "s-late", sessionKey: "w-late", address: "10.32.0.1", owner: "instance-b" },
        now + ttl + 1,
        ttl,
        caps,
      ),
    ).toBe("open");
    // Housekeeping (every instance, every 10 minutes) drops lapsed rows and counters.
    expect(await limits.prune(now + 10 * ttl)).toBeGreaterThan(0);
    expect(await t.sql.get(`SELECT count(*) AS n FROM "EventStream" WHERE address = '10.32.0.1'`)).toEqual({ n: 0 });
  });
});
