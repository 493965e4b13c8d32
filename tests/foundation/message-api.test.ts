import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_TOKEN, type TestApp, createTestApp } from "../helpers/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT_PER_MINUTE: "5" });
});
afterAll(() => t.close());

const auth = { authorization: `Bearer ${API_TOKEN}` };

async function post(payload: unknown, headers: Record<string, string> = auth, raw = false) {
  const res = await t.app.inject({
    method: "POST",
    url: "/api/v1/messages",
    headers: { "content-type": "application/json", ...headers },
    payload: raw ? (payload as string) : JSON.stringify(payload),
  });
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

function expectError(res: { status: number; body: Record<string, any> }, status: number) {
  expect(res.status).toBe(status);
  expect(typeof res.body.error.code).toBe("string");
  expect(typeof res.body.error.message).toBe("string");
}

describe("POST /api/v1/messages", () => {
  it("answers a greeting with the contract's shape", async () => {
    const res = await post({ channel: "api", userId: "u-hello", text: "你好" });
    expect(res.status).toBe(200);
    expect(res.body.conversationId).toEqual(expect.any(String));
    expect(res.body.handoff).toBe(false);
    expect(res.body.replies[0].intent).toBe("greeting");
    expect(res.body.replies[0].text).toContain("甬居助手");
    expect(res.body.replies[0].choices.length).toBeGreaterThan(0);
    expect(res.body.messageIds).toBeUndefined();
  });

  it("rejects malformed JSON with 400", async () => {
    expectError(await post('{"channel": "api", "userId":', auth, true), 400);
  });

  it("rejects an empty body with 400", async () => {
    expectError(await post("", auth, true), 400);
  });

  it.each([
    [{ userId: "u", text: "hi" }, "channel"],
    [{ channel: "api", text: "hi" }, "userId"],
    [{ channel: "api", userId: "u" }, "text"],
    [{ channel: "api", userId: "", text: "hi" }, "userId"],
    [{ channel: "api", userId: "u", text: 42 }, "text"],
  ])("rejects a missing or wrong field with 400 (%j)", async (payload, field) => {
    const res = await post(payload);
    expectError(res, 400);
    expect(res.body.error.message).toContain(field);
  });

  it("rejects an unknown channel with 400", async () => {
    const res = await post({ channel: "telegram", userId: "u", text: "hi" });
    expectError(res, 400);
    expect(res.body.error.code).toBe("unknown_channel");
  });

  it("rejects a missing or wrong token with 401", async () => {
    expectError(await post({ channel: "api", userId: "u", text: "hi" }, {}), 401);
    expectError(await post({ channel: "api", userId: "u", text: "hi" }, { authorization: "Bearer nope" }), 401);
    expectError(await post({ channel: "api", userId: "u", text: "hi" }, { authorization: API_TOKEN }), 401);
  });

  it("rejects text over 2,000 characters with 400, and accepts exactly 2,000", async () => {
    expectError(await post({ channel: "api", userId: "u-long", text: "居".repeat(2001) }), 400);
    const ok = await post({ channel: "api", userId: "u-long", text: "居".repeat(2000) });
    expect(ok.status).toBe(200);
  });

  it("answers empty or whitespace-only text with a friendly prompt", async () => {
    for (const text of ["", "   \n\t "]) {
      const res = await post({ channel: "api", userId: "u-empty", text });
      expect(res.status).toBe(200);
      expect(res.body.replies[0].intent).toBe("empty");
      expect(res.body.replies[0].text).toMatch(/输入|打字/);
    }
  });

  it("answers emoji-only text kindly", async () => {
    const res = await post({ channel: "api", userId: "u-emoji", text: "😀😀👍" });
    expect(res.status).toBe(200);
    expect(res.body.replies[0].intent).toBe("no_words");
  });

  it("strips control characters before understanding the text", async () => {
    const res = await post({ channel: "api", userId: "u-ctrl", text: "\u0000你\u200b好\u0007" });
    expect(res.status).toBe(200);
    expect(res.body.replies[0].intent).toBe("greeting");
    const stored = (await t.sql.get<{
      text: string;
    }>(`SELECT text FROM "Message" WHERE direction = 'in' ORDER BY id DESC LIMIT 1`))!;
    expect(stored.text).toBe("你好");
  });

  it("rejects a non-JSON content type without a 500", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/messages",
      headers: { ...auth, "content-type": "text/plain" },
      payload: "hello",
    });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.json().error.code).toEqual(expect.any(String));
  });

  it("answers 429 with a JSON error after too many messages a minute, and lets the resident go on later", async () => {
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await post({ channel: "api", userId: "u-fast", text: `你好 ${i}` }));
    expect(results.slice(0, 5).every((r) => r.status === 200)).toBe(true);
    expectError(results[5]!, 429);
    expect(results[5]!.body.error.code).toBe("rate_limited");
    t.clock.advance(61_000);
    expect((await post({ channel: "api", userId: "u-fast", text: "你好" })).status).toBe(200);
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/v1/nothing" });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("not_found");
  });

  it("never answers 500 to arbitrary garbage", async () => {
    const payloads = [
      "[]",
      "null",
      "123",
      '"text"',
      '{"channel":null}',
      "{".repeat(5000),
      JSON.stringify({ channel: "api", userId: "u", text: "x", extra: { deep: [1, 2] } }),
    ];
    for (const p of payloads) {
      const res = await post(p, auth, true);
      expect(res.status, p.slice(0, 40)).toBeLessThan(500);
    }
  });
});

describe("de-duplication", () => {
  it("processes the same messageId once and answers it with the same replies", async () => {
    const first = await t.say("u-dup", "你好", "m-1");
    const second = await t.say("u-dup", "你好", "m-1");
    expect(second).toEqual(first);
    const count = (await t.sql.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM "Message" m JOIN "Resident" r ON r.id = m.residentId WHERE r.channelUserId = 'u-dup' AND m.direction = 'in'`,
    ))!;
    expect(count.n).toBe(1);
  });

  it("scopes message ids to the resident", async () => {
    const a = await t.say("u-a", "你好", "same-id");
    const b = await t.say("u-b", "谢谢", "same-id");
    expect(a.conversationId).not.toBe(b.conversationId);
    expect(b.replies[0]!.intent).toBe("thanks");
  });
});

describe("OpenAPI", () => {
  it("serves the document and a browsable UI", async () => {
    const doc = await t.app.inject({ method: "GET", url: "/docs/json" });
    expect(doc.statusCode).toBe(200);
    expect(doc.json().paths["/api/v1/messages"].post).toBeDefined();
    const ui = await t.app.inject({ method: "GET", url: "/docs/" });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain("swagger");
  });

  it("reports health and readiness", async () => {
    expect((await t.app.inject({ method: "GET", url: "/healthz" })).json()).toEqual({ status: "ok" });
    expect((await t.app.inject({ method: "GET", url: "/readyz" })).json()).toEqual({ status: "ready" });
  });
});
