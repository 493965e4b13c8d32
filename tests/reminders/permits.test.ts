import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashIdNumber } from "../../src/lib/crypto.ts";
import { importPermitCsv } from "../../src/reminders/import.ts";
import { runReminderScan } from "../../src/reminders/scan.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { at, dateFrom, postPermits, reminders, staff, WebhookReceiver } from "./support.ts";

const TODAY = "2026-03-01";
const run = promisify(execFile);

const permit = (t: TestApp, permitNumber: string) =>
  t.sql.get<{
    id: string;
    endorseBy: string;
    holderName: string;
    residentId: string;
    channelUserId: string;
    idNumberHash: string | null;
  }>(`SELECT * FROM "Permit" WHERE permitNumber = ?`, permitNumber);

const scan = (t: TestApp) => runReminderScan({ reminders: t.ctx.store.reminders, timeZone: "Asia/Shanghai" }, t.clock.now());

describe("permits: staff API and CLI import", () => {
  let hook: WebhookReceiver;
  let t: TestApp;
  let reviewer: Record<string, string>;

  beforeAll(async () => {
    hook = await new WebhookReceiver().start();
    t = await createTestApp({ API_WEBHOOK_URL: hook.url }, { now: at(TODAY) });
    reviewer = await staff(t, "reviewer");
  });
  afterAll(async () => {
    await t.close();
    await hook.stop();
  });

  it("keeps good rows, reports each bad row with its index and reasons, and upserts by permit number", async () => {
    const rows = [
      { channel: "api", userId: "u-p1", permitNumber: "NB2026-0001", holderName: "张三", endorseBy: "2026-04-10" },
      { channel: "sms", userId: "u-p2", permitNumber: "NB2026-0002", holderName: "李四", endorseBy: "2026-04-10" },
      { channel: "api", userId: "u-p3", permitNumber: "NB2026-0003", holderName: "王五", endorseBy: "2026-02-30" },
      { channel: "api", permitNumber: "NB 0004!", holderName: "", endorseBy: "10/04/2026" },
      "not a row",
      { channel: "wechat", userId: "wx-p5", permitNumber: "NB2026-0005", holderName: "赵六", endorseBy: "2026-05-01" },
    ];
    const { status, body } = await postPermits(t, reviewer, rows);
    expect(status).toBe(200);
    expect(body.upserted).toBe(2);
    expect(body.rejected.map((r) => r.index)).toEqual([1, 2, 3, 4]);
    expect(body.rejected[0]?.errors.join()).toContain("channel");
    expect(body.rejected[1]?.errors).toEqual(["endorseBy must be a real date written YYYY-MM-DD"]);
    expect(body.rejected[2]?.errors.length).toBeGreaterThanOrEqual(4);
    expect(body.rejected[2]?.errors.join("\n")).toMatch(/userId/);
    expect(body.rejected[2]?.errors.join("\n")).toMatch(/permitNumber/);
    expect(body.rejected[2]?.errors.join("\n")).toMatch(/holderName/);
    expect(body.rejected[3]?.errors).toEqual(["row must be an object"]);

    // The resident is created so a reminder can reach them before they ever wrote.
    const p1 = await permit(t, "NB2026-0001");
    expect(p1).toMatchObject({ endorseBy: "2026-04-10", holderName: "张三", channelUserId: "u-p1" });
    expect(p1?.residentId).toBeTruthy();

    // Upsert: the same permit number again updates it, and the resident's later messages use the same rows.
    const again = await postPermits(t, reviewer, [
      { channel: "api", userId: "u-p1", permitNumber: "NB2026-0001", holderName: "张三", endorseBy: "2027-04-10" },
    ]);
    expect(again.body).toEqual({ upserted: 1, rejected: [] });
    expect((await permit(t, "NB2026-0001"))?.endorseBy).toBe("2027-04-10");
    const reply = await t.say("u-p1", "你好");
    expect(reply.conversationId).toBe(
      (await t.sql.get<{ id: string }>(`SELECT id FROM "Conversation" WHERE residentId = ?`, p1?.residentId))?.id,
    );
  });

  it("refuses non-arrays, more than 10,000 rows, and callers without the reviewer or admin role", async () => {
    const notArray = await t.app.inject({
      method: "POST",
      url: "/api/v1/staff/permits",
      headers: reviewer,
      payload: { rows: [] },
    });
    expect(notArray.statusCode).toBe(400);
    const row = { channel: "api", userId: "u", permitNumber: "X0000001", holderName: "甲", endorseBy: "2026-05-01" };
    const tooMany = await postPermits(t, reviewer, Array(10_001).fill(row));
    expect(tooMany.status).toBe(400);
    expect((tooMany.body as unknown as { error: { code: string } }).error.code).toBe("too_many_rows");
    const anonymous = await t.app.inject({ method: "POST", url: "/api/v1/staff/permits", payload: [row] });
    expect(anonymous.statusCode).toBe(401);
    const agent = await postPermits(t, await staff(t, "agent"), [row]);
    expect(agent.status).toBe(403);
    const agentScan = await t.app.inject({
      method: "POST",
      url: "/api/v1/staff/reminders/run",
      headers: await staff(t, "agent"),
    });
    expect(agentScan.statusCode).toBe(403);
    const admin = await postPermits(t, await staff(t, "admin"), [row]);
    expect(admin.body).toEqual({ upserted: 1, rejected: [] });
  });

  it("imports the permit office's CSV in batches, reporting bad lines by number", async () => {
    const file = join(t.dir, "permits.csv");
    writeFileSync(
      file,
      [
        "\uFEFFchannel,userId,permitNumber,holderName,endorseBy",
        "api,u-csv1,CSV-0001,张三,2026-03-20",
        'api,u-csv2,CSV-0002,"欧阳, 小明",2026-03-25',
        "api,u-csv3,CSV-0003,王五,2026/03/25",
        "",
        "fax,u-csv4,CSV-0004,赵六,2026-03-25",
        "api,u-csv5,CSV-0005,孙七",
        ...Array.from({ length: 25 }, (_, i) => `web,w-csv${i},CSVB-${String(i).padStart(4, "0")},批量,2026-06-01`),
      ].join("\r\n"),
    );
    const summary = await importPermitCsv(t.ctx.store.permits, file, t.clock.now(), { batchSize: 10 });
    expect(summary).toMatchObject({ rows: 30, upserted: 27, rejectedCount: 3 });
    expect(summary.rejected.map((r) => r.index)).toEqual([4, 6, 7]);
    expect(summary.rejected[0]?.errors.join()).toContain("YYYY-MM-DD");
    expect(summary.rejected[2]?.errors.join()).toContain("expected 5 fields, found 4");
    expect((await permit(t, "CSV-0002"))?.holderName).toBe("欧阳, 小明");

    // The CSV rows produce reminders like API rows do.
    const scanned = await scan(t);
    expect(scanned.queued).toBeGreaterThanOrEqual(2);
    await t.ctx.dispatcher.drain();
    expect(hook.received("u-csv2")[0]?.text).toContain("欧阳, 小明，您好");
  });

  it("is described in the OpenAPI document", async () => {
    const res = await t.app.inject({ method: "GET", url: "/docs/json" });
    const paths = Object.keys((res.json() as { paths: Record<string, unknown> }).paths);
    for (const p of [
      "/api/v1/staff/permits",
      "/api/v1/staff/reminders/run",
      "/api/v1/staff/reminders",
      "/api/v1/staff/broadcasts",
      "/api/v1/staff/broadcasts/{id}",
      "/api/v1/staff/broadcasts/{id}/cancel",
    ]) {
      expect(paths).toContain(p);
    }
  });

  it("npm run import:permits prints a summary and exits 2 when some lines were rejected", async () => {
    const file = join(t.dir, "cli.csv");
    writeFileSync(
      file,
      "permitNumber,channel,userId,endorseBy,holderName\nCLI-0001,api,u-cli1,2026-12-01,张三\nCLI-0002,api,u-cli2,2026-13-01,李四\n",
    );
    const env = { ...process.env, DATABASE_URL: t.databaseUrl, DATA_DIR: t.dir, LOG_LEVEL: "silent" };
    const result = await run("npx", ["tsx", "scripts/import-permits.ts", file], { env }).catch((e) => e);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain("rows read: 2");
    expect(result.stdout).toContain("upserted:  1");
    expect(result.stdout).toContain("line 3: endorseBy must be a real date written YYYY-MM-DD");
    expect((await permit(t, "CLI-0001"))?.endorseBy).toBe("2026-12-01");
    expect(await permit(t, "CLI-0002")).toBeUndefined();

    const bad = join(t.dir, "bad.csv");
    writeFileSync(bad, "number,name\n1,2\n");
    const failed = await run("npx", ["tsx", "scripts/import-permits.ts", bad], { env }).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("missing: channel, userId, permitNumber, holderName, endorseBy");
  });
});

describe("endorsement approved and chat registration", () => {
  let hook: WebhookReceiver;
  let t: TestApp;
  let reviewer: Record<string, string>;

  beforeAll(async () => {
    hook = await new WebhookReceiver().start();
    t = await createTestApp({ API_WEBHOOK_URL: hook.url }, { now: at(TODAY) });
    reviewer = await staff(t, "reviewer");
  });
  afterAll(async () => {
    await t.close();
    await hook.stop();
  });

  it("an approved endorsement moves endorseBy on a year; a reminder still waiting for the old date is cancelled", async () => {
    await postPermits(t, reviewer, [
      { channel: "api", userId: "u-end", permitNumber: "END-0001", holderName: "张三", endorseBy: dateFrom(TODAY, 5) },
      { channel: "api", userId: "u-late", permitNumber: "END-0002", holderName: "李四", endorseBy: dateFrom(TODAY, -10) },
    ]);
    // A d7 reminder decided but not yet delivered (e.g. held by quiet hours).
    expect((await scan(t)).queued).toBe(2);
    const p = await permit(t, "END-0001");
    const approved = (residentId: string, idNumberHash: string | null, data: Record<string, unknown> = {}) =>
      t.ctx.store.apply(
        [{ type: "permit.endorsementApproved", residentId, idNumberHash, data, timeZone: "Asia/Shanghai" }],
        t.clock.now(),
      );
    await approved(p?.residentId ?? "", null, { permitNumber: "END-0001" });
    // On time: the anniversary is kept, a year on.
    expect(p?.endorseBy).toBe(dateFrom(TODAY, 5));
    expect((await permit(t, "END-0001"))?.endorseBy).toBe(dateFrom(TODAY, 5).replace("2026", "2027"));
    expect((await permit(t, "END-0001"))?.endorseBy).toBe("2027-03-06");
    await t.ctx.dispatcher.drain();
    expect(hook.received("u-end")).toEqual([]);
    expect((await reminders(t, reviewer, "END-0001")).map((r) => [r.stage, r.status])).toEqual([
      ["d7", "cancelled"],
      ["d30", "skipped"],
    ]);

    // Endorsed late: the new year counts from the approval day. Matched by the applicant's only permit.
    const late = await permit(t, "END-0002");
    const hash = hashIdNumber(t.ctx.secrets.hashKey, "11010519491231002X");
    await approved(late?.residentId ?? "", hash);
    expect((await permit(t, "END-0002"))?.endorseBy).toBe("2027-03-01");
    expect((await permit(t, "END-0002"))?.idNumberHash).toBe(hash);
    // Approving again (a second application) does not push it another year.
    await approved("nobody", hash);
    expect((await permit(t, "END-0002"))?.endorseBy).toBe("2027-03-01");
    // The new cycle gets its own reminders in time.
    t.clock.set(at("2027-02-05"));
    expect((await scan(t)).queued).toBe(2);
    t.clock.set(at(TODAY));
  });

  it("提醒我签注: consent, permit number, last endorsement date → reminders for that permit", async () => {
    const start = await t.say("u-chat", "提醒我签注");
    expect(start.replies[0]?.text).toContain("同意吗");
    expect(start.awaiting).toEqual({ slot: "reminderConsent", type: "consent", choices: ["同意", "不同意"] });
    const number = await t.say("u-chat", "1");
    expect(number.replies[0]?.text).toContain("居住证号码");
    expect(number.awaiting?.slot).toBe("permitOrId");
    const bad = await t.say("u-chat", "12");
    expect(bad.replies[0]?.text).toContain("6到20位");
    const date = await t.say("u-chat", "居住证号 NB20250315");
    expect(date.awaiting).toEqual({ slot: "lastEndorsed", type: "date" });
    const done = await t.say("u-chat", "2025年3月15日");
    expect(done.replies[0]?.text).toContain("2026年3月15日");
    expect(done.replies[0]?.text).toContain("已经可以办理签注");
    expect(done.awaiting).toBeUndefined();
    expect(await permit(t, "NB20250315")).toMatchObject({ endorseBy: "2026-03-15", channelUserId: "u-chat" });

    await scan(t);
    await t.ctx.dispatcher.drain();
    const got = hook.received("u-chat");
    expect(got).toHaveLength(1);
    expect(got[0]?.text).toContain("编号尾号 0315");

    // Someone else cannot attach that permit to their own account.
    await t.say("u-other", "提醒我签注");
    await t.say("u-other", "同意");
    await t.say("u-other", "NB20250315");
    const taken = await t.say("u-other", "2025-03-15");
    expect(taken.replies[0]?.text).toContain("另一个账号上登记过");
  });

  it("registers by ID number without storing it, and 取消 leaves the setup", async () => {
    await t.say("u-id", "提醒我签注");
    await t.say("u-id", "同意");
    const wrong = await t.say("u-id", "330203199001011235");
    expect(wrong.replies[0]?.text).toContain("校验位");
    await t.say("u-id", "330203199001011236");
    const done = await t.say("u-id", "2025-09-01");
    expect(done.replies[0]?.text).toContain("330203********1236");
    expect(done.replies[0]?.text).toContain("我会在截止前 30 天、7 天和 1 天提醒您");
    const row = await t.sql.get<Record<string, unknown>>(`SELECT * FROM "Permit" WHERE channelUserId = 'u-id'`);
    expect(row?.endorseBy).toBe("2026-09-01");
    expect(row?.idNumberHash).toBe(hashIdNumber(t.ctx.secrets.hashKey, "330203199001011236"));
    expect(JSON.stringify(row)).not.toContain("330203199001011236");

    await t.say("u-cancel", "提醒我签注");
    await t.say("u-cancel", "同意");
    // A question in the middle is answered, and the setup keeps waiting for the number.
    const aside = await t.say("u-cancel", "居住证签注要带什么材料");
    expect(aside.replies.length).toBeGreaterThanOrEqual(2);
    expect(aside.replies.at(-1)?.text).toContain("还在等您的居住证号码或身份证号码");
    expect(aside.awaiting).toEqual({ slot: "permitOrId", type: "text" });
    const cancelled = await t.say("u-cancel", "取消");
    expect(cancelled.replies[0]?.text).toContain("先不登记");
    expect(cancelled.awaiting).toBeUndefined();
    expect(await t.sql.get(`SELECT count(*) AS n FROM "Permit" WHERE channelUserId = 'u-cancel'`)).toEqual({ n: 0 });

    // Starting the endorsement application instead ends the setup.
    await t.say("u-switch", "提醒我签注");
    await t.say("u-switch", "同意");
    const flow = await t.say("u-switch", "我要签注");
    expect(flow.replies[0]?.intent).toBe("flow:permit_endorsement");
    expect(flow.replies.some((r) => r.text.includes("签注提醒还没登记完"))).toBe(false);
  });

  it("帮我设置签注提醒 sets up reminders, not the endorsement application; 订阅提醒 with nothing registered starts it too", async () => {
    const a = await t.say("u-words1", "帮我设置签注提醒");
    expect(a.awaiting?.slot).toBe("reminderConsent");
    const b = await t.say("u-words2", "订阅提醒");
    expect(b.replies[0]?.text).toContain("已为您打开签注提醒");
    expect(b.awaiting?.slot).toBe("reminderConsent");
  });
});
