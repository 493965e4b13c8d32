import type { AddressInfo } from "node:net";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStaffUser } from "../../src/staff/auth.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { launchBrowser, runBrowserTests } from "../helpers/browser.ts";
import { bearer, staffToken } from "../helpers/staff.ts";

/** Issue 13 in the console: the knowledge editor, the unanswered list, the dashboard's charts. */
describe.skipIf(!runBrowserTests)("knowledge editor, unanswered questions and charts in a real browser", () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let base: string;
  const ENTRY = "labor.wage-arrears";
  const HOTLINE = "0574-87190000";
  const ASK = "本地欠薪投诉电话是多少";
  const pageErrors: string[] = [];
  const dialogs: { type: string; message: string }[] = [];
  let stay = false;

  beforeAll(async () => {
    t = await createTestApp({}, { now: "2026-03-02T10:00:00+08:00" });
    await t.app.listen({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    await createStaffUser(t.ctx, { username: "bai", password: "editor-pass-1", role: "editor" });
    await createStaffUser(t.ctx, { username: "wang", password: "agent-pass-1", role: "agent" });
    await createStaffUser(t.ctx, { username: "zhou", password: "agent-pass-2", role: "agent" });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 }, locale: "zh-CN" });
    // Confirmation dialogs (restore a version, resolve, leave unsaved edits) are accepted unless a
    // test says to stay; what they asked is kept.
    page.on("dialog", (d) => {
      dialogs.push({ type: d.type(), message: d.message() });
      void (stay ? d.dismiss() : d.accept());
    });
    // Script errors and CSP violations (Chart.js must draw under the console's strict policy);
    // refused API calls (400, 409) are expected and not counted.
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) pageErrors.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function login(username: string, password: string) {
    await page.goto(`${base}/staff`);
    await page.getByLabel("用户名").fill(username);
    await page.getByLabel("密码").fill(password);
    await page.getByRole("button", { name: "登录", exact: true }).click();
  }
  async function logout() {
    await page.getByRole("button", { name: "退出登录" }).click();
    await shown(page.getByRole("heading", { name: "工作人员登录" }));
  }

  const shown = (locator: Locator, timeout = 10_000) => locator.first().waitFor({ state: "visible", timeout });
  const showsText = (locator: Locator, text: string, timeout = 10_000) => shown(locator.filter({ hasText: text }), timeout);
  /** What a resident asking `text` reads now (a new resident each time: no topic carried over). */
  let asked = 0;
  const residentReads = async (text: string) => (await t.say(`kb-res-${++asked}`, text)).replies.map((r) => r.text).join("\n");

  async function openEntry() {
    await page.getByRole("link", { name: "知识库", exact: true }).click();
    const row = page.locator(`tr[data-entry="${ENTRY}"]`);
    await shown(row);
    await row.getByRole("link").click();
    await shown(page.getByRole("heading", { name: "编辑：欠薪求助" }));
  }

  it("an agent sees neither the editor in the menu nor the screen", async () => {
    await login("wang", "agent-pass-1");
    await shown(page.getByRole("heading", { name: "人工队列" }));
    expect(await page.getByRole("link", { name: "知识库" }).count()).toBe(0);
    await page.goto(`${base}/staff#/knowledge/${ENTRY}`);
    await shown(page.getByRole("heading", { name: "人工队列" }));
    expect(page.url()).toMatch(/#\/queue$/);
    await logout();
  });

  it("an editor fills in the hotline: a wrong kind is explained, the preview shows it, publishing changes the resident's answer", async () => {
    expect(await residentReads(ASK)).not.toContain(HOTLINE);
    await login("bai", "editor-pass-1");
    // The editor's home is the catalogue, with what needs attention per entry.
    await shown(page.getByRole("heading", { name: "知识库" }));
    const row = page.locator(`tr[data-entry="${ENTRY}"]`);
    await showsText(row, "3 / 3 项");
    await openEntry();

    const hotline = page.getByLabel("本地欠薪投诉电话（电话）");
    await hotline.fill("找王主任");
    await page.getByLabel("居民的问题").fill(ASK);
    await page.getByRole("button", { name: "预览回答" }).click();
    // The server's check, shown next to the field in plain Chinese: the field, the kind, an example.
    const problem = page.locator('.field-error[data-field="configurable.hotline"]');
    await showsText(problem, "本地欠薪投诉电话：电话格式不对，请填写如 0574-12345678 或 12333 这样的号码");
    expect(await problem.textContent()).not.toContain("configurable");
    await showsText(page.locator(".preview"), "修改有误");

    await hotline.fill(HOTLINE);
    await page.getByRole("button", { name: "预览回答" }).click();
    await showsText(page.locator(".preview"), HOTLINE);
    await showsText(page.locator(".preview"), "尚未发布的修改");
    // Nothing is published by a preview.
    expect(await residentReads(ASK)).not.toContain(HOTLINE);

    await page.getByRole("button", { name: "发布", exact: true }).click();
    await showsText(page.locator("#toast"), "已发布第 2 版");
    await shown(page.getByText("第 2 版 ·"));
    expect(await residentReads(ASK)).toContain(HOTLINE);

    // The version shows what changed as a line diff; the publish is audited.
    const latest = page.locator('.version[data-version="2"]');
    await showsText(latest, "本地欠薪投诉电话");
    await showsText(latest.locator(".diff-add"), HOTLINE);
    const audit = await t.sql.all<{ action: string; username: string }>(
      `SELECT action, username FROM "AuditLog" WHERE action LIKE 'knowledge.%' ORDER BY id`,
    );
    expect(audit).toEqual([{ action: "knowledge.publish", username: "bai" }]);
  });

  it("an edit made on a version someone else has since replaced is refused with a clear message, and nothing is lost", async () => {
    await page.reload();
    await shown(page.getByRole("heading", { name: "编辑：欠薪求助" }));
    // A colleague publishes meanwhile (through the API).
    const token = await staffToken(t, "admin", "colleague");
    const meanwhile = await t.app.inject({
      method: "PATCH",
      url: `/api/v1/staff/knowledge/${ENTRY}`,
      headers: bearer(token),
      payload: { baseVersion: 2, addExamples: ["工钱被老板扣着不给"] },
    });
    expect(meanwhile.statusCode).toBe(200);

    await page.getByLabel("网上投诉入口（文字）").fill("浙江政务服务网“浙里办”搜索“欠薪投诉”");
    await page.getByRole("button", { name: "发布", exact: true }).click();
    const refusal = page.getByRole("alert").filter({ hasText: "发布被拒绝" });
    await shown(refusal);
    await showsText(refusal, "第 2 版");
    // The form keeps what was typed; nothing was published.
    expect(await page.getByLabel("网上投诉入口（文字）").inputValue()).toContain("浙里办");
    const versions = await t.app.inject({ url: `/api/v1/staff/knowledge/${ENTRY}/versions`, headers: bearer(token) });
    expect(versions.json().items[0].version).toBe(3);

    await refusal.getByRole("button", { name: "载入最新版本" }).click();
    await shown(page.getByText("第 3 版 ·"));
    await showsText(page.locator("ul.examples"), "工钱被老板扣着不给");
  });

  it("restoring the first version publishes it again: the resident no longer reads the number", async () => {
    const first = page.locator('.version[data-version="1"]');
    await first.getByRole("button", { name: "恢复到第 1 版" }).click();
    await showsText(page.locator("#toast"), "现为第 4 版");
    await shown(page.getByText("第 4 版 ·"));
    expect((await page.getByLabel("本地欠薪投诉电话（电话）").inputValue()).trim()).toBe("");
    expect(await residentReads(ASK)).not.toContain(HOTLINE);
    const actions = await t.sql.all<{ action: string }>(
      `SELECT action FROM "AuditLog" WHERE action LIKE 'knowledge.%' ORDER BY id`,
    );
    expect(actions.map((a) => a.action).at(-1)).toBe("knowledge.rollback");
  });

  it("leaving the editor with unpublished changes asks first; staying keeps them; nothing is asked when nothing changed or once published", async () => {
    const summary = page.locator('textarea[name="summary"]');
    const heading = page.getByRole("heading", { name: "编辑：欠薪求助" });
    // Nothing changed: leaving asks nothing.
    await openEntry();
    const asked = dialogs.length;
    await page.getByRole("link", { name: "数据看板" }).click();
    await shown(page.getByRole("heading", { name: "数据看板" }));
    expect(dialogs.length).toBe(asked);

    // Changed: the console asks; staying keeps the editor, its address and what was typed.
    await openEntry();
    const edited = `${await summary.inputValue()}（测试未发布的修改）`;
    await summary.fill(edited);
    stay = true;
    await page.getByRole("link", { name: "未答问题" }).click();
    await expect.poll(() => dialogs.length).toBe(asked + 1);
    stay = false;
    expect(dialogs.at(-1)).toEqual({ type: "confirm", message: expect.stringContaining("尚未发布的修改") });
    await shown(heading);
    expect(page.url()).toMatch(/#\/knowledge\/labor\.wage-arrears$/);
    expect(await summary.inputValue()).toBe(edited);
    // Another entry (through the address, as a link to it would) asks too; this time leave.
    await page.evaluate(`location.hash = "#/knowledge/permit.endorsement"`);
    await expect.poll(() => dialogs.length).toBe(asked + 2);
    await shown(page.getByRole("heading", { name: /^编辑：/ }).filter({ hasNotText: "欠薪求助" }));
    // Nothing was published by leaving.
    const token = await staffToken(t, "admin", "checker");
    const current = await t.app.inject({ url: `/api/v1/staff/knowledge/${ENTRY}`, headers: bearer(token) });
    expect(current.json().summary).not.toContain("测试未发布的修改");

    // Closing or reloading the tab with changes: the browser asks (beforeunload).
    await openEntry();
    await summary.fill(edited);
    await page.reload();
    await expect.poll(() => dialogs.at(-1)?.type).toBe("beforeunload");
    await shown(heading);

    // Once published, leaving asks nothing.
    const published = dialogs.length;
    await page.getByLabel("网上投诉入口（文字）").fill("浙江政务服务网“浙里办”搜索“欠薪投诉”");
    await page.getByRole("button", { name: "发布", exact: true }).click();
    await showsText(page.locator("#toast"), "已发布第 5 版");
    await page.getByRole("link", { name: "数据看板" }).click();
    await shown(page.getByRole("heading", { name: "数据看板" }));
    expect(dialogs.length).toBe(published);
  });

  it("an unanswered question becomes an example in two clicks, and is then answered", async () => {
    // Not understood today (logged as unanswered); staff decide it belongs to unpaid wages.
    const question = "加班费不给算";
    const before = await t.say("kb-unanswered", question);
    expect(before.replies[0]?.intent).toBe("fallback");

    await page.getByRole("link", { name: "未答问题" }).click();
    const row = page.getByRole("row", { name: new RegExp(question) });
    await shown(row);
    await row.getByRole("button", { name: "加为示例" }).click();
    // Pre-filled with the closest entry when there is one (then the second click is "确认").
    const target = row.getByLabel("加到哪个条目");
    if ((await target.inputValue()) !== ENTRY) await target.selectOption(ENTRY);
    await row.getByRole("button", { name: "确认" }).click();
    await showsText(page.locator("#toast"), "已加为“欠薪求助”的示例问题");
    await page.locator(`tr[data-question]`).filter({ hasText: question }).waitFor({ state: "detached" });

    const after = await t.say("kb-unanswered-2", question);
    expect(after.replies[0]?.sources?.[0]?.id).toBe(ENTRY);
    await page.getByRole("link", { name: "已处理" }).click();
    await showsText(page.getByRole("row", { name: new RegExp(question) }), "已加为示例");
  });

  it("a draft started from an unanswered question is published as a new entry, validated like a file", async () => {
    const question = "租的房子想办营业执照";
    expect((await t.say("kb-draft", question)).replies[0]?.intent).toBe("fallback");
    await page.getByRole("link", { name: "未答问题" }).click();
    const row = page.getByRole("row", { name: new RegExp(question) });
    await row.getByRole("button", { name: "起草新条目" }).click();
    await shown(page.getByRole("heading", { name: `草稿：${question}` }));
    const field = (name: string) => page.locator(`[name="${name}"]`);
    // The question is the draft's first example.
    expect(await field("examples").inputValue()).toBe(question);

    await field("id").fill("business.license");
    await field("title").fill("租房办营业执照");
    await field("category").fill("就业创业");
    await field("summary").fill("用租的房子办营业执照，先打 12345 政务服务便民热线，问清楚要准备哪些材料、到哪里办。");
    await field("nextStep").fill("打 12345 政务服务便民热线问清楚材料和地点。");
    await field("national").fill("hotline.12345");
    await field("seedItems").fill("3");
    await page.getByRole("button", { name: "发布为新条目" }).click();
    // Refused like a file would be (one example is not enough); the draft is kept.
    await showsText(page.getByRole("alert"), "examples");
    expect(await t.sql.get(`SELECT id FROM "KnowledgeEntry" WHERE id = 'business.license'`)).toBeUndefined();

    await field("examples").fill(`${question}\n出租屋能注册个体户吗\n个体户营业执照去哪办`);
    await page.getByRole("button", { name: "发布为新条目" }).click();
    await shown(page.getByRole("heading", { name: "编辑：租房办营业执照" }));
    const answered = await t.say("kb-draft-2", question);
    expect(answered.replies[0]?.sources?.[0]?.id).toBe("business.license");
    expect(answered.replies[0]?.text).toContain("12345");
  });

  it("the dashboard draws the month's conversations as a chart, with its data as CSV", async () => {
    await page.getByRole("link", { name: "数据看板" }).click();
    const box = page.locator('section[data-chart="conversations"]');
    await shown(box.locator("canvas"));
    const drawn = await box.locator("canvas").evaluate((canvas) => {
      const Chart = (globalThis as unknown as { Chart: { getChart(c: unknown): { data: { datasets: { data: number[] }[] } } } })
        .Chart;
      return Chart.getChart(canvas)?.data.datasets.map((d) => d.data.reduce((a, b) => a + (b ?? 0), 0));
    });
    // Every resident above started a conversation today.
    expect(drawn?.[0]).toBeGreaterThan(0);
    const href = await box.getByRole("link", { name: "下载数据（CSV）" }).getAttribute("href");
    expect(href).toBe("/api/v1/staff/dashboard/conversations.csv?days=30");
    const csv = await page.evaluate(async (url) => {
      const res = await fetch(url, { credentials: "same-origin" });
      return { type: res.headers.get("content-type"), text: await res.text() };
    }, href!);
    expect(csv.type).toContain("text/csv");
    expect(csv.text).toContain("日期");
    expect(pageErrors).toEqual([]);
    await logout();
  });

  it("taking over a colleague's conversation asks for a reason, and the reason is audited", async () => {
    const queued = await t.say("kb-takeover", "转人工");
    expect(queued.handoff).toBe(true);
    const zhou = await t.app.inject({
      method: "POST",
      url: "/api/v1/staff/login",
      payload: { username: "zhou", password: "agent-pass-2" },
    });
    await t.app.inject({
      method: "POST",
      url: `/api/v1/staff/conversations/${queued.conversationId}/claim`,
      headers: bearer(zhou.json().token),
      payload: {},
    });

    await login("wang", "agent-pass-1");
    await page.goto(`${base}/staff#/conversation/${queued.conversationId}`);
    await page.getByRole("button", { name: "改由我接待" }).click();
    const form = page.locator("form.reason");
    await shown(form);
    await form.getByRole("button", { name: "确认改由我接待" }).click();
    await showsText(form.getByRole("alert"), "请填写原因");
    await form.getByLabel("原因").fill("同事已下班，居民在等回复");
    await form.getByRole("button", { name: "确认改由我接待" }).click();
    await showsText(page.locator("#toast"), "已接入");
    const audit = await t.sql.get<{ detail: string }>(
      `SELECT detail FROM "AuditLog" WHERE action = 'conversation.takeover' AND username = 'wang'`,
    );
    expect(audit?.detail).toContain("同事已下班");
  });
});
