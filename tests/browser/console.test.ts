import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptSecret, hashIdNumber, maskIdNumber } from "../../src/lib/crypto.ts";
import { createStaffUser } from "../../src/staff/auth.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { launchBrowser, runBrowserTests } from "../helpers/browser.ts";

const ID = "330203199001011234";

describe.skipIf(!runBrowserTests)("staff console in a real browser", () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let base: string;
  let applicationId: string;
  const dialogs: string[] = [];

  beforeAll(async () => {
    t = await createTestApp({}, { now: "2026-03-02T10:00:00+08:00" });
    await t.app.listen({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    await createStaffUser(t.ctx, { username: "wang", password: "agent-pass-1", role: "agent" });
    await createStaffUser(t.ctx, { username: "li", password: "reviewer-pass-1", role: "reviewer" });
    await createStaffUser(t.ctx, { username: "zhao", password: "admin-pass-1", role: "admin" });

    // A resident who submitted an application earlier, now asking for a person.
    const first = await t.say("browser-res", "你好");
    const { residentId } = (await t.sql.get<{
      residentId: string;
    }>(`SELECT residentId FROM "Conversation" WHERE id = ?`, first.conversationId))!;
    applicationId = randomUUID();
    const now = t.clock.now();
    await t.sql.run(
      `INSERT INTO "Application" (id, reference, type, status, residentId, data, name, idNumberEnc, idNumberHash, idNumberMasked, phone, district, createdAt, updatedAt)
       VALUES (?, 'YJ20260302-WXYZ', 'address_report', 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      applicationId,
      residentId,
      JSON.stringify({ district: "鄞州区", address: "鄞州区天童南路 1 号", moveInDate: "2026-02-20" }),
      "张三",
      encryptSecret(t.ctx.secrets.encryptionKey, ID),
      hashIdNumber(t.ctx.secrets.hashKey, ID),
      maskIdNumber(ID),
      "13812345678",
      "鄞州区",
      now,
      now,
    );
    const asked = await t.say("browser-res", "转人工");
    expect(asked.handoff).toBe(true);

    browser = await launchBrowser();
    // A browser in another time zone than the service's (TZ=Asia/Shanghai): times still show in Ningbo's.
    page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: "zh-CN", timezoneId: "UTC" });
    // Confirmation dialogs (resolve, decide, reveal, delete) are accepted; what they said is kept.
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function login(username: string, password: string) {
    await page.getByLabel("用户名").fill(username);
    await page.getByLabel("密码").fill(password);
    await page.getByRole("button", { name: "登录", exact: true }).click();
  }

  /** Waits until the element is shown (the console polls, so live updates arrive within seconds). */
  const shown = (locator: Locator, timeout = 10_000) => locator.first().waitFor({ state: "visible", timeout });
  const showsText = (locator: Locator, text: string, timeout = 10_000) => shown(locator.filter({ hasText: text }), timeout);

  it("an agent claims the queued resident, replies, and hands back to the assistant", async () => {
    await page.goto(`${base}/staff`);
    await shown(page.getByRole("heading", { name: "工作人员登录" }));
    await login("wang", "agent-pass-1");

    // The queue lists the waiting resident; claim from it.
    const row = page.getByRole("row", { name: /browser-res/ });
    await shown(row);
    await showsText(row, "居民要求转人工");
    await row.getByRole("button", { name: "接入" }).click();

    await shown(page.getByRole("heading", { name: "会话：browser-res" }));
    await shown(page.getByText("人工服务中", { exact: true }));
    const log = page.getByRole("log", { name: "聊天记录" });
    await showsText(log, "转人工");
    // The resident's application is shown with the ID masked.
    await shown(page.getByText("330203********1234"));
    expect(await page.getByText(ID).count()).toBe(0);

    await page.getByPlaceholder("输入回复").fill("您好，我是工作人员小王，请问有什么可以帮您？");
    await page.getByRole("button", { name: "发送回复" }).click();
    await showsText(log, "工作人员小王");

    // The reply is queued for the resident's channel and in their transcript.
    const delivered = await t.sql.get<{ kind: string; channel: string }>(
      `SELECT d.kind, d.channel FROM "Delivery" d JOIN "Resident" r ON r.id = d.residentId WHERE r.channelUserId = 'browser-res' AND d.text LIKE '%小王%'`,
    );
    expect(delivered).toEqual({ kind: "staff", channel: "api" });

    // What the resident writes next shows up live; the assistant itself stays quiet.
    const quiet = await t.say("browser-res", "我想问一下孩子上学的事");
    expect(quiet.replies).toEqual([]);
    await showsText(log, "我想问一下孩子上学的事");

    await page.getByRole("button", { name: "结束人工，交还助手" }).click();
    await shown(page.getByText("助手服务中", { exact: true }));
    await showsText(log, "甬居助手继续为您服务");

    const back = await t.say("browser-res", "你好");
    expect(back.handoff).toBe(false);
    expect(back.replies[0]?.intent).toBe("greeting");

    await page.getByRole("button", { name: "退出登录" }).click();
    await shown(page.getByRole("heading", { name: "工作人员登录" }));
  });

  it("a reviewer opens the application, reveals the ID (audited) and approves it; the resident is told", async () => {
    await login("li", "reviewer-pass-1");
    // Every flow in intents/ is a type staff can filter by, the one added as a single file too.
    await shown(page.locator('select[name="type"]'));
    expect(await page.locator('select[name="type"] option').allTextContents()).toEqual(
      expect.arrayContaining(["居住登记申报", "居住登记注销", "居住证签注", "居住证补领"]),
    );
    const row = page.getByRole("row", { name: /YJ20260302-WXYZ/ });
    await shown(row);
    await row.click();

    await shown(page.getByRole("heading", { name: "居住登记申报 YJ20260302-WXYZ" }));
    // Field labels come from the flow file, through GET /api/v1/staff/meta.
    await shown(page.getByText("入住日期", { exact: true }));
    // The ID number's button comes first, then the phone's: each reveal is audited on its own.
    await page.getByRole("button", { name: "查看完整号码" }).first().click();
    await shown(page.getByText(ID));
    await page.getByRole("button", { name: "查看完整号码" }).first().click();
    await shown(page.getByText("13812345678"));

    await page.getByRole("button", { name: "通过", exact: true }).click();
    await shown(page.getByText("已通过", { exact: true }));

    const app = (await t.sql.get<{ status: string }>(`SELECT status FROM "Application" WHERE id = ?`, applicationId))!;
    expect(app.status).toBe("approved");
    const notice = (await t.sql.get<{ text: string }>(
      `SELECT d.text FROM "Delivery" d JOIN "Resident" r ON r.id = d.residentId WHERE r.channelUserId = 'browser-res' AND d.kind = 'notice'`,
    ))!;
    expect(notice.text).toContain("YJ20260302-WXYZ");
    expect(notice.text).toContain("审核通过");
    const audit = await t.sql.all<{
      action: string;
    }>(`SELECT action FROM "AuditLog" WHERE username = 'li' ORDER BY id`);
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        "staff.login",
        "application.view",
        "application.reveal_id",
        "application.reveal_phone",
        "application.approve",
      ]),
    );
  });

  it("an admin previews a broadcast's recipients, sends it and follows its progress", async () => {
    await page.getByRole("button", { name: "退出登录" }).click();
    await login("zhao", "admin-pass-1");
    await page.getByRole("link", { name: "群发通知" }).click();
    await page.getByPlaceholder("通知内容").fill("【通知】本周六社区服务中心照常办理居住证业务。");
    await page.getByRole("button", { name: "预览人数" }).click();
    await showsText(page.locator("p"), "将发送给 1 位居民");
    await page.getByRole("button", { name: "发送", exact: true }).click();
    await showsText(page.locator(".panel"), "群发进度");
    await showsText(page.locator("p"), "待发送 1");
    const rows = await t.sql.all(`SELECT kind, status FROM "Delivery" WHERE kind = 'broadcast'`);
    expect(rows).toEqual([{ kind: "broadcast", status: "pending" }]);
  });

  it("an admin carries out a resident's deletion request after a plain confirmation; it moves to done; an agent never sees it", async () => {
    // A resident with a submitted application asks for their data to be deleted.
    await t.say("leaving-res", "你好");
    const { id: residentId } = (await t.sql.get<{ id: string }>(
      `SELECT id FROM "Resident" WHERE channelUserId = 'leaving-res'`,
    ))!;
    const now = t.clock.now();
    await t.sql.run(
      `INSERT INTO "Application" (id, reference, type, status, residentId, data, name, phone, createdAt, updatedAt)
       VALUES (?, 'YJ20260302-DELE', 'address_report', 'pending', ?, '{}', '李四', '13912345678', ?, ?)`,
      randomUUID(),
      residentId,
      now,
      now,
    );
    expect((await t.say("leaving-res", "删除我的信息")).replies[0]?.intent).toBe("deletion_request");

    // Signed in as the admin since the broadcast: the screen is in the menu.
    await page.getByRole("link", { name: "删除请求" }).click();
    await shown(page.getByRole("heading", { name: "删除个人信息请求" }));
    const pending = page.getByRole("table", { name: "待处理的删除请求" });
    const row = pending.getByRole("row", { name: /lea…es/ });
    await shown(row);
    await showsText(row, "接口");
    await showsText(row, "1 份（审核完成3年后删除）");
    // When it was asked, in the service's time zone although the browser is on UTC.
    const askedAt = new Date(t.clock.now() + 8 * 3_600_000).toISOString();
    await showsText(row, `${askedAt.slice(0, 10)} ${askedAt.slice(11, 16)}`);
    // A masked reference only: neither the user id nor anything of the application.
    for (const shownNever of ["leaving-res", "李四", "13912345678", "YJ20260302-DELE"]) {
      expect(await page.getByText(shownNever).count()).toBe(0);
    }

    await row.getByRole("button", { name: "执行删除" }).click();
    await showsText(page.locator("#toast"), "已删除");
    const asked = dialogs.at(-1) ?? "";
    expect(asked).toContain("会删除：聊天记录");
    expect(asked).toContain("会保留：已提交的 1 份申请");
    expect(asked).toContain("审核完成3年后自动删除");
    expect(asked).not.toContain("leaving-res");
    await shown(page.getByText("没有待处理的删除请求。"));
    expect(await t.sql.get(`SELECT status FROM "DeletionRequest" WHERE residentId = ?`, residentId)).toEqual({ status: "done" });
    expect(
      Number((await t.sql.get<{ n: number }>(`SELECT count(*) AS n FROM "Message" WHERE residentId = ?`, residentId))?.n),
    ).toBe(0);

    await page.getByRole("link", { name: "已处理" }).click();
    const done = page.getByRole("table", { name: "已处理的删除请求" }).getByRole("row", { name: /lea…es/ });
    // When and by whom, besides the audit log.
    await showsText(done, "zhao");

    // An agent has neither the menu item nor the screen.
    await page.getByRole("button", { name: "退出登录" }).click();
    await login("wang", "agent-pass-1");
    await shown(page.getByRole("heading", { name: "人工队列" }));
    expect(await page.getByRole("link", { name: "删除请求" }).count()).toBe(0);
    await page.goto(`${base}/staff#/deletions`);
    await shown(page.getByRole("heading", { name: "人工队列" }));
    expect(page.url()).toMatch(/#\/queue$/);
    expect(await page.getByText("删除个人信息请求").count()).toBe(0);
  });
});
