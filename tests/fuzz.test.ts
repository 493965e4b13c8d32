/**
 * Property-based fuzzing (fast-check) of every request body the service takes: the message API,
 * the web chat, and each staff route in the OpenAPI document, with the route's own field names
 * given values of every kind, random JSON, and broken JSON. The property: never a 5xx, and every
 * error in the documented shape. Thousands of cases per run; a failure prints the smallest body
 * that breaks it (fast-check shrinks it) and the seed to replay it.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_TOKEN, createTestApp, type TestApp } from "./helpers/app.ts";
import { bearer, staffToken } from "./helpers/staff.ts";

let t: TestApp;
let admin: Record<string, string>;
const ids: string[] = ["x", "00000000-0000-0000-0000-000000000000", "../../etc/passwd", "constructor", "a\u0000b"];

beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT_PER_MINUTE: "1000000", WEB_SESSIONS_PER_MINUTE: "100000" });
  admin = bearer(await staffToken(t, "admin"));
  // Real ids too, so bodies reach the code behind the not-found checks.
  const escalated = await t.say("fuzz-resident", "转人工");
  ids.push(escalated.conversationId);
  const agent = await t.app.inject({
    method: "POST",
    url: "/api/v1/staff/users",
    headers: admin,
    payload: { username: "fuzz-agent", password: "lotus-pond-orchard-8", role: "agent" },
  });
  ids.push(agent.json().id);
});
afterAll(() => t.close());

/** Any JSON-ish value, including the awkward ones: huge numbers, deep nesting, odd keys, control characters. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.string({ unit: "grapheme", maxLength: 50 }),
  fc.constantFrom("", " ", "\u0000", "\u200b", "__proto__", "constructor", "😀😀", "<script>alert(1)</script>", "1e309", "-0"),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
);

/** A body built from the route's own fields (so validation and the handler both get exercised), or anything at all. */
const bodyFor = (fields: string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.record(Object.fromEntries(fields.map((f) => [f, anyValue])), { requiredKeys: [] }) },
    { weight: 1, arbitrary: anyValue },
  );

/** A raw payload: the JSON of a body, or text that is not JSON. */
const rawPayload = (body: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 4, arbitrary: body.map((b) => JSON.stringify(b) ?? "null") },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constantFrom("{", '{"text":', "[1,2", '{"a":1}}', "\uFEFF{}", "null", "") },
  );

function expectSafe(res: { statusCode: number; body: string }, what: string): void {
  if (res.statusCode >= 500) throw new Error(`${what} → ${res.statusCode} ${res.body}`);
  if (res.statusCode >= 400) {
    const body = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code !== "string" || typeof body.error?.message !== "string") {
      throw new Error(`${what} → ${res.statusCode} without the error shape: ${res.body}`);
    }
  }
}

describe("fuzzing request bodies", { timeout: 600_000 }, () => {
  it("the message API never answers 5xx", async () => {
    const body = fc.oneof(
      fc.record(
        {
          channel: fc.oneof(fc.constant("api"), anyValue),
          userId: fc.oneof(fc.constantFrom("fuzz-1", "fuzz-2", "fuzz-3"), anyValue),
          text: fc.oneof(fc.constantFrom("你好", "我要办居住登记", "转人工", "同意", "330203199001011234"), anyValue),
          messageId: fc.oneof(fc.uuid(), anyValue),
        },
        { requiredKeys: [] },
      ),
      anyValue,
    );
    await fc.assert(
      fc.asyncProperty(rawPayload(body), async (payload) => {
        const res = await t.app.inject({
          method: "POST",
          url: "/api/v1/messages",
          headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
          payload,
        });
        expectSafe(res, `POST /api/v1/messages ${payload.slice(0, 200)}`);
      }),
      { numRuns: 2000 },
    );
  });

  it("the web chat never answers 5xx", async () => {
    const body = bodyFor(["text", "messageId"]);
    await fc.assert(
      fc.asyncProperty(rawPayload(body), fc.boolean(), async (payload, withCookie) => {
        const res = await t.app.inject({
          method: "POST",
          url: "/chat/messages",
          headers: { "content-type": "application/json", ...(withCookie ? { cookie: "yj_sid=garbage.signature" } : {}) },
          payload,
        });
        expectSafe(res, `POST /chat/messages ${payload.slice(0, 200)}`);
      }),
      { numRuns: 500 },
    );
  });

  it("no staff route answers 5xx, signed in or not", async () => {
    const doc = (await t.app.inject({ method: "GET", url: "/docs/json" })).json() as {
      paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: { properties?: object } }> } }>>;
    };
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([method]) => method !== "get" && path.startsWith("/api/v1/staff/"))
        .map(([method, op]) => ({
          method: method.toUpperCase() as "POST",
          path,
          fields: Object.keys(op.requestBody?.content?.["application/json"]?.schema?.properties ?? {}),
        })),
    );
    expect(routes.length).toBeGreaterThan(15);
    let cases = 0;
    for (const route of routes) {
      // Sign-in hashes every guess (argon2): fewer cases there.
      const numRuns = /\/(login|session|me\/password)$/.test(route.path) ? 60 : 150;
      await fc.assert(
        fc.asyncProperty(
          rawPayload(bodyFor(route.fields)),
          fc.constantFrom(...ids),
          fc.boolean(),
          async (payload, id, signedIn) => {
            cases++;
            const url = route.path.replace(/\{[^}]+\}/g, encodeURIComponent(id));
            const res = await t.app.inject({
              method: route.method,
              url,
              headers: { "content-type": "application/json", ...(signedIn ? admin : {}) },
              payload,
            });
            expectSafe(res, `${route.method} ${url} ${payload.slice(0, 200)}`);
          },
        ),
        { numRuns },
      );
    }
    expect(cases).toBeGreaterThan(2000);
  });
});
