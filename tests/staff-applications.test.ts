import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApplicationType } from "../src/domain/applications.ts";
import { encryptSecret, hashIdNumber, maskIdNumber } from "../src/lib/crypto.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { bearer, staffToken } from "./helpers/staff.ts";

let t: TestApp;
let reviewer: string;
let agent: string;
const ID = "330203199001011234";

beforeAll(async () => {
  t = await createTestApp({}, { now: "2026-03-10T10:00:00+08:00" });
  [reviewer, agent] = await Promise.all([staffToken(t, "reviewer"), staffToken(t, "agent")]);
});
afterAll(() => t.close());

const api = (method: "GET" | "POST", url: string, token: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1/staff${url}`, headers: bearer(token), ...(payload === undefined ? {} : { payload }) });

/** A resident who submitted an application through the chat (as the guided flow would store it). */
async function submitted(userId: string, type: ApplicationType, district: string, reference: string): Promise<string> {
  const turn = await t.say(userId, "你好");
  const residentId = (await t.sql.get<{ residentId: string }>(
    `SELECT residentId FROM "Conversation" WHERE id = ?`,
    turn.conversationId,
  ))!.residentId;
  const id = randomUUID();
  const now = t.clock.now();
  await t.sql.run(
    `INSERT INTO "Application" (id, reference, type, status, residentId, data, name, idNumberEnc, idNumberHash, idNumberMasked, phone, district, createdAt, updatedAt)
     VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    id,
    reference,
    type,
    residentId,
    JSON.stringify({ district, address: "江北区人民路 100 号 3 栋 201 室", moveInDate: "2026-03-01" }),
    "张三",
    encryptSecret(t.ctx.secrets.encryptionKey, ID),
    hashIdNumber(t.ctx.secrets.hashKey, ID),
    maskIdNumber(ID),
    "13812345678",
    district,
    now,
    now,
  );
  return id;
}

const notices = (userId: string) =>
  t.sql.all<{ kind: string; text: string }>(
    `SELECT d.kind, d.text FROM "Delivery" d JOIN "Resident" r ON r.id = d.residentId WHERE r.channelUserId = ? ORDER BY d.createdAt, d.id`,
    userId,
  );

describe("application review", () => {
  let a1: string;
  let a2: string;
  let a3: string;

  beforeAll(async () => {
    a1 = await submitted("app-1", "address_report", "江北区", "YJ20260310-AAAA");
    t.clock.advance(60_000);
    a2 = await submitted("app-2", "permit_endorsement", "鄞州区", "YJ20260310-BBBB");
    t.clock.advance(60_000);
    a3 = await submitted("app-3", "address_report", "鄞州区", "YJ20260310-CCCC");
  });

  it("lists and filters by type, status, district and date, without the full ID", async () => {
    const all = await api("GET", "/applications", reviewer);
    expect(all.statusCode).toBe(200);
    expect(all.json().items.map((i: { reference: string }) => i.reference)).toEqual([
      "YJ20260310-AAAA",
      "YJ20260310-BBBB",
      "YJ20260310-CCCC",
    ]);
    expect(all.body).not.toContain(ID);
    expect(all.json().items[0].idNumberMasked).toBe("330203********1234");

    const reports = await api("GET", "/applications?type=address_report&status=pending", reviewer);
    expect(reports.json().items.map((i: { id: string }) => i.id)).toEqual([a1, a3]);
    const yinzhou = await api("GET", `/applications?district=${encodeURIComponent("鄞州区")}`, reviewer);
    expect(yinzhou.json().items.map((i: { id: string }) => i.id)).toEqual([a2, a3]);
    expect((await api("GET", "/applications?from=2026-03-11", reviewer)).json().items).toEqual([]);
    expect((await api("GET", "/applications?from=2026-03-10&to=2026-03-10", reviewer)).json().total).toBe(3);
    expect((await api("GET", "/applications?type=bogus", reviewer)).statusCode).toBe(400);
    expect((await api("GET", "/applications?type=&status=", reviewer)).json().total).toBe(3);
  });

  it("opens one with the ID masked; revealing it is a separate, audited action", async () => {
    const detail = await api("GET", `/applications/${a1}`, reviewer);
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({
      reference: "YJ20260310-AAAA",
      idNumberMasked: "330203********1234",
      phoneMasked: "138****5678",
    });
    expect(detail.body).not.toContain(ID);
    expect(detail.body).not.toContain("13812345678");

    const revealed = await api("POST", `/applications/${a1}/reveal-id`, reviewer);
    expect(revealed.statusCode).toBe(200);
    expect(revealed.json()).toEqual({ idNumber: ID });
    const audit = await t.sql.all<{ action: string; targetId: string }>(
      `SELECT username, action, targetId FROM "AuditLog" WHERE action IN ('application.view', 'application.reveal_id') ORDER BY id`,
    );
    expect(audit.map((r) => r.action)).toEqual(["application.view", "application.reveal_id"]);
    expect(audit.every((r) => r.targetId === a1)).toBe(true);
  });

  it("shows phones in the data (the landlord's) masked; each full phone is a separate, audited reveal", async () => {
    const id = await submitted("app-5", "address_report", "江北区", "YJ20260310-EEEE");
    await t.sql.run(
      `UPDATE "Application" SET data = ? WHERE id = ?`,
      JSON.stringify({
        district: "江北区",
        housingType: "租房",
        landlordPhone: "0574-87654321",
        address: "人民路 100 号，有事打 13912345678",
      }),
      id,
    );
    const res = await api("GET", `/applications/${id}`, reviewer);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      phoneMasked: "138****5678",
      phoneFields: ["landlordPhone"],
      data: { landlordPhone: "0574****4321", housingType: "租房", address: "人民路 100 号，有事打 139****5678" },
    });
    expect(res.body).not.toContain("87654321");
    expect(res.body).not.toContain("13912345678");
    expect(res.body).not.toContain("13812345678");

    const landlord = await api("POST", `/applications/${id}/reveal`, reviewer, { field: "landlordPhone" });
    expect(landlord.statusCode).toBe(200);
    expect(landlord.headers["cache-control"]).toBe("no-store");
    expect(landlord.json()).toEqual({ field: "landlordPhone", value: "0574-87654321" });
    const own = await api("POST", `/applications/${id}/reveal`, reviewer, { field: "phone" });
    expect(own.json()).toEqual({ field: "phone", value: "13812345678" });
    // Only phones and the ID: any other field (free text is masked for good) is refused.
    expect((await api("POST", `/applications/${id}/reveal`, reviewer, { field: "address" })).statusCode).toBe(400);
    expect((await api("POST", `/applications/${id}/reveal`, reviewer, { field: "infoAnswer" })).statusCode).toBe(404);
    expect((await api("POST", `/applications/${id}/reveal`, agent, { field: "phone" })).statusCode).toBe(403);

    const audit = await t.sql.all<{ action: string; detail: string }>(
      `SELECT action, detail FROM "AuditLog" WHERE targetId = ? AND action LIKE 'application.reveal%' ORDER BY id`,
      id,
    );
    expect(audit).toEqual([
      { action: "application.reveal_phone", detail: "YJ20260310-EEEE: landlordPhone" },
      { action: "application.reveal_phone", detail: "YJ20260310-EEEE: phone" },
    ]);
  });

  it("an agent cannot read, reveal or decide applications", async () => {
    expect((await api("GET", "/applications", agent)).statusCode).toBe(403);
    expect((await api("POST", `/applications/${a1}/reveal-id`, agent)).statusCode).toBe(403);
    const decide = await api("POST", `/applications/${a1}/decision`, agent, { decision: "approve" });
    expect(decide.statusCode).toBe(403);
    expect(decide.json().error.code).toBe("forbidden");
    expect((await api("POST", `/applications/${a1}/decision`, "wrong-token", { decision: "approve" })).statusCode).toBe(401);
    expect(await notices("app-1")).toEqual([]);
  });

  it("approves: the status changes, the resident is told on their channel, and it cannot be decided twice", async () => {
    const res = await api("POST", `/applications/${a1}/decision`, reviewer, { decision: "approve", reason: "" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: "approved", decidedByName: expect.stringMatching(/^reviewer-/) });
    const told = await notices("app-1");
    expect(told).toHaveLength(1);
    expect(told[0]?.text).toContain("YJ20260310-AAAA");
    expect(told[0]?.text).toContain("审核通过");
    const again = await api("POST", `/applications/${a1}/decision`, reviewer, { decision: "reject", reason: "x" });
    expect(again.statusCode).toBe(409);
  });

  it("approving an endorsement moves the resident's permit on one year", async () => {
    const a4 = await submitted("app-4", "permit_endorsement", "海曙区", "YJ20260310-DDDD");
    const permit = { channel: "api", userId: "app-4", permitNumber: "NB2025000123", holderName: "张三", endorseBy: "2026-04-01" };
    expect((await api("POST", "/permits", reviewer, [permit])).statusCode).toBe(200);
    const res = await api("POST", `/applications/${a4}/decision`, reviewer, { decision: "approve", reason: "" });
    expect(res.statusCode).toBe(200);
    const row = (await t.sql.get<{
      endorseBy: string;
    }>(`SELECT endorseBy FROM "Permit" WHERE permitNumber = ?`, "NB2025000123"))!;
    expect(row.endorseBy).toBe("2027-04-01");
  });

  it("rejects only with a reason, and tells the resident the reason", async () => {
    expect((await api("POST", `/applications/${a2}/decision`, reviewer, { decision: "reject" })).statusCode).toBe(400);
    const res = await api("POST", `/applications/${a2}/decision`, reviewer, {
      decision: "reject",
      reason: "居住证已过期，请先办理补领",
    });
    expect(res.json().status).toBe("rejected");
    expect((await notices("app-2")).at(-1)?.text).toContain("居住证已过期，请先办理补领");
    const audit = (await t.sql.get<{
      detail: string;
    }>(`SELECT detail FROM "AuditLog" WHERE action = 'application.reject' AND targetId = ?`, a2))!;
    expect(audit.detail).toContain("pending → rejected");
  });

  it("asks for more information in chat; the resident's next message is attached and the application returns to review", async () => {
    const res = await api("POST", `/applications/${a3}/decision`, reviewer, {
      decision: "request_info",
      reason: "请提供房东姓名和联系电话",
    });
    expect(res.json().status).toBe("info_requested");
    expect((await notices("app-3")).at(-1)?.text).toContain("请提供房东姓名和联系电话");

    // 查进度 meanwhile shows the question in words for the resident: no JSON, no staff name, no timestamps.
    const status = (await t.say("app-3", "查进度")).replies[0]?.text ?? "";
    expect(status).toContain("需要您补充：请提供房东姓名和联系电话");
    expect(status).toContain("直接在这里回复");
    expect(status).not.toMatch(/[{}"]|askedBy|askedAt|question|reviewer-/);

    const answer = await t.say("app-3", "房东李四，电话 139-0000-1111");
    expect(answer.replies[0]?.text).toContain("YJ20260310-CCCC");
    const opened = await api("GET", `/applications/${a3}`, reviewer);
    const detail = opened.json();
    expect(detail.status).toBe("pending");
    // The phone in the answer is masked like everywhere else; the full text is one audited reveal away.
    expect(detail.infoRequest).toMatchObject({
      question: "请提供房东姓名和联系电话",
      answer: "房东李四，电话 139****1111",
      answerHidden: true,
    });
    expect(opened.body).not.toContain("0000-1111");
    const stored = await t.sql.get<{ infoRequest: string }>(`SELECT infoRequest FROM "Application" WHERE id = ?`, a3);
    expect(stored?.infoRequest).not.toContain("0000-1111");
    const full = await api("POST", `/applications/${a3}/reveal`, reviewer, { field: "infoAnswer" });
    expect(full.json()).toEqual({ field: "infoAnswer", value: "房东李四，电话 139-0000-1111" });
    const audited = await t.sql.get<{ detail: string }>(
      `SELECT detail FROM "AuditLog" WHERE action = 'application.reveal_answer' AND targetId = ?`,
      a3,
    );
    expect(audited?.detail).toBe("YJ20260310-CCCC: infoAnswer");

    // Only the next message: after that the assistant answers as usual.
    expect((await t.say("app-3", "你好")).replies[0]?.intent).toBe("greeting");
    const approved = await api("POST", `/applications/${a3}/decision`, reviewer, { decision: "approve" });
    expect(approved.json().status).toBe("approved");
  });

  it("an admin may decide too; unknown ids are 404", async () => {
    const admin = await staffToken(t, "admin");
    expect((await api("GET", "/applications/nope", admin)).statusCode).toBe(404);
    expect((await api("POST", "/applications/nope/decision", admin, { decision: "approve" })).statusCode).toBe(404);
    expect((await api("POST", `/applications/${a1}/decision`, admin, { decision: "maybe" })).statusCode).toBe(400);
  });
});
