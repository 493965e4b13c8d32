import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { launchBrowser, runBrowserTests } from "../helpers/browser.ts";

describe.skipIf(!runBrowserTests)("web chat in a real (phone-sized) browser", () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    t = await createTestApp({}, { now: "2026-03-02T10:00:00+08:00" });
    await t.app.listen({ host: "127.0.0.1", port: 0 });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: "zh-CN" });
    await page.goto(`http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/`);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const bubbles = (cls: string) => page.locator(`.msg.${cls}`);

  it("greets a new visitor with quick-reply buttons", async () => {
    await expect.poll(() => bubbles("bot").count()).toBeGreaterThan(0);
    await expect.poll(() => bubbles("bot").first().textContent()).toContain("甬居助手");
    expect(await page.locator(".choices button").count()).toBeGreaterThan(0);
  });

  it("answers a question with its source shown once, and shows the resident's message once", async () => {
    await page.fill("#input", "居住证到期了怎么续");
    await page.press("#input", "Enter");
    await expect.poll(() => page.locator(".msg.bot .src").last().textContent()).toContain("居住证签注");
    const last = bubbles("bot").last();
    expect(await last.textContent()).toContain("签注");
    // The citation is the styled line, not repeated in the text: the reply's own line, with the
    // entry's review date and the national rule, each title in one pair of 《》.
    expect((await last.textContent())?.match(/来源：/g)?.length).toBe(1);
    const cited = await last.locator(".src").textContent();
    expect(cited).toMatch(/^来源：《居住证签注（续签）》（\d{4}年\d{1,2}月\d{1,2}日核对）·《居住证暂行条例》第十条/);
    expect(cited).not.toContain("《《");
    // The server's wake-up for this very turn must not render the question a second time.
    await page.waitForTimeout(800);
    expect(await bubbles("resident").filter({ hasText: "居住证到期了怎么续" }).count()).toBe(1);
    // Nor does reloading the page.
    await page.reload();
    await expect.poll(() => bubbles("resident").filter({ hasText: "居住证到期了怎么续" }).count()).toBe(1);
  });

  it("selects an option with a quick-reply button", async () => {
    await page.locator(".choices button", { hasText: "我要签注" }).click();
    await expect.poll(() => bubbles("bot").last().textContent()).toContain("同意");
  });

  it("shows a staff message pushed while the page is open", async () => {
    const row = (await t.sql.get<{
      id: string;
      channelUserId: string;
    }>(`SELECT id, channelUserId FROM "Resident" WHERE channel = 'web'`))!;
    await t.ctx.store.apply(
      [
        {
          type: "delivery.enqueue",
          delivery: {
            residentId: row.id,
            channel: "web",
            kind: "staff",
            text: "您好，我是工作人员小陈。",
            dedupeKey: "b-1",
            author: "staff",
          },
        },
      ],
      t.clock.now(),
    );
    await t.ctx.channels.get("web")!.send({ id: "b-1", channel: "web", userId: row.channelUserId, text: "", kind: "staff" });
    await expect.poll(() => bubbles("staff").last().textContent(), { timeout: 10_000 }).toContain("工作人员小陈");
  });
});
