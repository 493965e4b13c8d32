/**
 * A resident's "删除我的信息" becomes a request staff can carry out: the transcript, feedback,
 * permits and queued messages go; submitted applications stay for their retention period; the
 * resident is told; the audit log records it; and the retention job removes the rest later.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS } from "../src/domain/retention.ts";
import { runRetention } from "../src/jobs/retention.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { bearer, staffToken } from "./helpers/staff.ts";

let t: TestApp;
let admin: string;
let reviewer: string;
beforeAll(async () => {
  t = await createTestApp({}, { now: "2026-11-28T10:00:00+08:00" });
  [admin, reviewer] = await Promise.all([staffToken(t, "admin", "admin-del"), staffToken(t, "reviewer")]);
});
afterAll(() => t.close());

const api = (method: "GET" | "POST", url: string, token: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1/staff${url}`, headers: bearer(token), ...(payload ? { payload } : {}) });
const count = async (table: string, where: string, ...params: unknown[]) =>
  Number((await t.sql.get<{ n: number }>(`SELECT count(*) AS n FROM "${table}" WHERE ${where}`, ...params))?.n);

describe("deletion requests", () => {
  it("are listed for admins and carried out: everything but submitted applications goes, and the resident is told", async () => {
    // A resident who chatted, rated an answer, registered a permit and submitted an application.
    await t.say("leaving", "居住证怎么续签");
    await t.say("leaving", "有用");
    const resident = (await t.sql.get<{ id: string }>(`SELECT id FROM "Resident" WHERE channelUserId = 'leaving'`))!.id;
    await api("POST", "/permits", reviewer, [
      { channel: "api", userId: "leaving", permitNumber: "NB2026000999", holderName: "张三", endorseBy: "2027-03-01" },
    ]);
    await t.sql.run(
      `INSERT INTO "Application" (id, reference, type, status, residentId, data, name, phone, createdAt, updatedAt)
       VALUES (?, 'YJ20261128-DDDD', 'address_report', 'pending', ?, '{}', '张三', '13812345678', ?, ?)`,
      randomUUID(),
      resident,
      t.clock.now(),
      t.clock.now(),
    );
    const asked = await t.say("leaving", "删除我的信息");
    expect(asked.replies[0]?.intent).toBe("deletion_request");

    expect((await api("GET", "/deletion-requests", reviewer)).statusCode).toBe(403);
    const list = await api("GET", "/deletion-requests", admin);
    expect(list.statusCode).toBe(200);
    // What the console's confirmation says about the applications kept, as the resident is told it.
    expect(list.json().applicationRetention).toBe("3年");
    const [request] = list.json().items as { id: string; channel: string; userId: string; applications: number }[];
    expect(request).toMatchObject({
      channel: "api",
      userId: "leaving",
      applications: 1,
      status: "pending",
      doneAt: null,
      doneBy: null,
    });

    const done = await api("POST", `/deletion-requests/${request!.id}/complete`, admin);
    expect(done.statusCode).toBe(200);
    expect(done.json()).toEqual({ id: request!.id, status: "done", applicationsKept: 1 });

    expect(await count("Message", "residentId = ?", resident)).toBe(0);
    expect(await count("Conversation", "residentId = ?", resident)).toBe(0);
    expect(await count("AnswerFeedback", "residentId = ?", resident)).toBe(0);
    expect(await count("Permit", "permitNumber = 'NB2026000999'")).toBe(0);
    expect(await count("Application", "residentId = ?", resident)).toBe(1);
    expect(await t.sql.get(`SELECT displayName, acceptsNotices, remindersOptOut FROM "Resident" WHERE id = ?`, resident)).toEqual(
      { displayName: null, acceptsNotices: false, remindersOptOut: true },
    );
    // The resident is told, on their channel, what went and what stays for how long.
    const notice = await t.sql.get<{ text: string }>(`SELECT text FROM "Delivery" WHERE residentId = ?`, resident);
    expect(notice?.text).toContain("已经删除");
    expect(notice?.text).toContain("审核完成3年后自动删除");
    const audit = await t.sql.get<{ action: string; targetId: string; detail: string }>(
      `SELECT action, targetId, detail FROM "AuditLog" WHERE action = 'deletion.complete'`,
    );
    expect(audit).toMatchObject({ targetId: request!.id });
    expect(audit?.detail).not.toContain("leaving");

    // Once only; it no longer shows as pending.
    expect((await api("POST", `/deletion-requests/${request!.id}/complete`, admin)).statusCode).toBe(409);
    expect((await api("POST", "/deletion-requests/nope/complete", admin)).statusCode).toBe(404);
    expect((await api("GET", "/deletion-requests", admin)).json().items).toEqual([]);
    // Done: when, and by whom.
    expect((await api("GET", "/deletion-requests?status=done", admin)).json().items).toEqual([
      expect.objectContaining({ id: request!.id, status: "done", doneAt: t.clock.now(), doneBy: "admin-del" }),
    ]);

    // The resident can come back: a fresh conversation.
    expect((await t.say("leaving", "你好")).replies[0]?.intent).toBe("greeting");
  });

  it("leaves nothing once the applications' retention is over", async () => {
    await t.say("gone-soon", "你好");
    await t.say("gone-soon", "删除我的信息");
    const [request] = (await api("GET", "/deletion-requests", admin)).json().items as { id: string }[];
    expect((await api("POST", `/deletion-requests/${request!.id}/complete`, admin)).statusCode).toBe(200);
    expect(await count("Resident", "channelUserId = 'gone-soon'")).toBe(1); // until the notice is old

    t.clock.advance(400 * DAY_MS);
    await runRetention({ retention: t.ctx.store.retention, policy: t.ctx.config.retention, pauseMs: 0 }, t.clock.now());
    expect(await count("Resident", "channelUserId = 'gone-soon'")).toBe(0);
  });
});
