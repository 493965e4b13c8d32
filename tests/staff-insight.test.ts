import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { bearer, staffToken } from "./helpers/staff.ts";

let t: TestApp;
let admin: string;
let agent: string;

beforeAll(async () => {
  t = await createTestApp({}, { now: "2026-03-10T09:00:00+08:00" });
  [admin, agent] = await Promise.all([staffToken(t, "admin"), staffToken(t, "agent")]);
});
afterAll(() => t.close());

const get = (url: string, token = admin) => t.app.inject({ method: "GET", url: `/api/v1/staff${url}`, headers: bearer(token) });

/** An address report as the guided flow stores it on submit. */
async function insertApplication(residentId: string, reference: string, district: string, at: number): Promise<void> {
  await t.sql.run(
    `INSERT INTO "Application" (id, reference, type, status, residentId, data, district, createdAt, updatedAt)
     VALUES (?, ?, 'address_report', 'pending', ?, '{}', ?, ?, ?)`,
    randomUUID(),
    reference,
    residentId,
    district,
    at,
    at,
  );
}

async function residentOf(conversationId: string): Promise<string> {
  return (await t.sql.get<{ residentId: string }>(`SELECT residentId FROM "Conversation" WHERE id = ?`, conversationId))!
    .residentId;
}

describe("dashboard and insight", () => {
  it("counts today's conversations, the catalogue's share, the queue and its median wait, applications, reminders and registrations", async () => {
    // Yesterday's conversation does not count today.
    t.clock.set("2026-03-09T15:00:00+08:00");
    const old = await t.say("old", "你好");
    t.clock.set("2026-03-10T09:00:00+08:00");

    const a = await t.say("s-1", "转人工");
    t.clock.advance(10 * 60_000);
    const b = await t.say("s-2", "转人工");
    t.clock.advance(2 * 60_000);
    const c = await t.say("s-3", "你好");
    // Two of the resident's questions answered from the catalogue (as the faq skill records them).
    await t.sql.run(`UPDATE "Message" SET intent = 'faq' WHERE conversationId = ? AND direction = 'in'`, c.conversationId);
    await t.say("s-3", "谢谢");

    const now = t.clock.now();
    for (const [ref, district] of [
      ["YJ20260310-D001", "江北区"],
      ["YJ20260310-D002", "江北区"],
      ["YJ20260310-D003", "海曙区"],
    ] as const) {
      await insertApplication(await residentOf(c.conversationId), ref, district, now);
    }
    await insertApplication(await residentOf(old.conversationId), "YJ20260209-D004", "江北区", now - 30 * 86_400_000);
    const delivery = async (id: string, dedupeKey: string, residentId: string, status: string) =>
      t.sql.run(
        `INSERT INTO "Delivery" (id, dedupeKey, residentId, channel, kind, text, status, attempts, notBefore, createdAt, updatedAt)
         VALUES (?, ?, ?, 'api', 'reminder', '签注提醒', ?, 1, ?, ?, ?)`,
        id,
        dedupeKey,
        residentId,
        status,
        now,
        now,
        now,
      );
    await delivery("d1", "k1", await residentOf(a.conversationId), "sent");
    await delivery("d2", "k2", await residentOf(b.conversationId), "sent");
    await delivery("d3", "k3", await residentOf(c.conversationId), "failed");

    const res = await get("/stats", agent);
    expect(res.statusCode).toBe(200);
    const s = res.json();
    expect(s).toMatchObject({
      conversationsToday: 3,
      questionsToday: 4,
      faqAnsweredToday: 1,
      escalationsWaiting: 2,
      // Waiting 12 and 2 minutes.
      medianWaitMs: 7 * 60_000,
      applicationsPending: 4,
      remindersSentThisMonth: 2,
      remindersFailedThisMonth: 1,
      registrationsThisMonthByDistrict: [
        { district: "江北区", count: 2 },
        { district: "海曙区", count: 1 },
      ],
    });
    expect(s.faqShareToday).toBeCloseTo(0.25);
  });

  it("lists unanswered questions by count and feedback per entry", async () => {
    const q = (id: string, normalized: string, sample: string, count: number) =>
      t.sql.run(
        `INSERT INTO "UnansweredQuestion" (id, normalized, sample, count, firstAskedAt, lastAskedAt) VALUES (?, ?, ?, ?, 1, 2)`,
        id,
        normalized,
        sample,
        count,
      );
    await q("q1", "公租房 怎么 申请", "公租房怎么申请", 3);
    await q("q2", "狗 证", "狗证在哪办，我身份证 330203199001011234", 7);
    const unanswered = (await get("/insights/unanswered")).json().items;
    expect(unanswered.map((i: { count: number }) => i.count)).toEqual([7, 3]);
    expect(unanswered[0].sample).not.toContain("330203199001011234");

    const resident = (await t.sql.get<{ id: string }>(`SELECT id FROM "Resident" LIMIT 1`))!.id;
    const f = (id: string, entryId: string, helpful: boolean) =>
      t.sql.run(
        `INSERT INTO "AnswerFeedback" (id, entryId, residentId, helpful, createdAt) VALUES (?, ?, ?, ?, 1)`,
        id,
        entryId,
        resident,
        helpful,
      );
    await f("f1", "permit.endorsement", true);
    await f("f2", "permit.endorsement", false);
    await f("f3", "permit.endorsement", true);
    await f("f4", "school.enrolment", false);
    const feedback = (await get("/insights/feedback")).json().items;
    expect(feedback).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ entryId: "permit.endorsement", helpful: 2, unhelpful: 1 }),
        expect.objectContaining({ entryId: "school.enrolment", helpful: 0, unhelpful: 1 }),
      ]),
    );
  });

  it("the audit log is for admins only, newest first", async () => {
    const res = await get("/audit");
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { id: number; action: string }[];
    expect(items.length).toBeGreaterThan(0);
    expect(items[0]?.id).toBeGreaterThan(items.at(-1)?.id as number);
    expect(items.some((i) => i.action === "staff.login")).toBe(true);
    expect((await get("/audit", agent)).statusCode).toBe(403);
  });

  it("shows channel status to admins", async () => {
    const res = await get("/channels");
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: "web", enabled: true }),
        expect.objectContaining({ id: "api", enabled: true }),
      ]),
    );
    expect((await get("/channels", agent)).statusCode).toBe(403);

    // While WeChat waits for a scan, the login QR code is shown (as an image when rendered).
    t.ctx.wechatStatus = () => ({
      loggedIn: false,
      qr: "https://login.weixin.qq.com/l/abc",
      qrUrl: "data:image/png;base64,AAAA",
    });
    const waiting = (await get("/channels")).json().items.find((i: { id: string }) => i.id === "wechat");
    expect(waiting).toMatchObject({ enabled: true, loggedIn: false, qr: "data:image/png;base64,AAAA" });
    t.ctx.wechatStatus = () => ({ loggedIn: true, user: "甬居助手" });
    const online = (await get("/channels")).json().items.find((i: { id: string }) => i.id === "wechat");
    expect(online).toMatchObject({ enabled: true, loggedIn: true, user: "甬居助手", qr: null });
  });

  it("serves the console page at /staff and documents the staff API", async () => {
    const page = await t.app.inject({ method: "GET", url: "/staff" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    expect(page.body).toContain("甬居助手");
    const docs = (await t.app.inject({ method: "GET", url: "/docs/json" })).json();
    for (const path of [
      "/api/v1/staff/login",
      "/api/v1/staff/conversations",
      "/api/v1/staff/applications/{id}/decision",
      "/api/v1/staff/stats",
    ]) {
      expect(Object.keys(docs.paths)).toContain(path);
    }
  });
});
