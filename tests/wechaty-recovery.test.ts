import { spawn } from "node:child_process";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mock, PuppetMock } from "wechaty-puppet-mock";
import { WechatChannel } from "../src/channels/wechaty/adapter.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { BOT_NAME, harness, startWechat, WAIT, type WechatHarness } from "./wechaty-harness.ts";

const FAST_RECONNECT = { baseMs: 20, maxMs: 200 };

describe("staying connected", () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  });

  it("reconnects after being logged out, and answers residents again once logged back in", async () => {
    const h: WechatHarness = await startWechat({}, { reconnect: FAST_RECONNECT });
    cleanup.push(() => h.close());
    const li = h.resident("李四");
    let starts = 0;
    h.puppet.on("start", () => {
      starts += 1;
    });

    await h.puppet.logout("账号在其他设备登录");
    await vi.waitFor(() => expect(starts).toBe(1), WAIT);
    expect(h.wechat.status().loggedIn).toBe(false);

    // With a real puppet the saved session logs in again by itself; the mock needs a nudge.
    h.mocker.login(h.account);
    await vi.waitFor(() => expect(h.wechat.status().loggedIn).toBe(true), WAIT);
    const [reply] = await li.ask("你好");
    expect(reply).toContain("欢迎来到宁波");
    expect(starts).toBe(1);
  });

  it("keeps answering through puppet errors while logged in, and shows the last error to staff", async () => {
    const h = await startWechat({}, { reconnect: FAST_RECONNECT });
    cleanup.push(() => h.close());
    let starts = 0;
    h.puppet.on("start", () => {
      starts += 1;
    });
    h.puppet.emit("error", { data: "消息同步超时" });
    await vi.waitFor(() => expect(h.wechat.status().lastError).toMatch(/消息同步超时/), WAIT);
    const [reply] = await h.resident("王五").ask("你好");
    expect(reply).toContain("欢迎来到宁波");
    expect(h.wechat.status().loggedIn).toBe(true);
    expect(starts).toBe(0);
  });

  it("restarts a puppet that fails while logged out with no QR code to scan", async () => {
    const t = await createTestApp();
    const mocker = new mock.Mocker();
    const puppet = new PuppetMock({ mocker });
    const wechat = new WechatChannel(t.ctx, { puppet, printQr: false, reconnect: FAST_RECONNECT });
    cleanup.push(async () => {
      await wechat.stop();
      await t.close();
    });
    await wechat.start();
    let starts = 0;
    puppet.on("start", () => {
      starts += 1;
    });
    puppet.emit("error", { data: "connection to the puppet service lost" });
    await vi.waitFor(() => expect(starts).toBe(1), WAIT);

    const account = mocker.createContact({ name: BOT_NAME });
    mocker.login(account);
    await vi.waitFor(() => expect(wechat.status()).toMatchObject({ loggedIn: true, user: BOT_NAME }), WAIT);
    const [reply] = await harness(t, mocker, puppet, wechat, account).resident("赵六").ask("谢谢");
    expect(reply).toMatch(/不客气/);
  });

  it("keeps the service running when the configured puppet cannot be loaded", async () => {
    const t: TestApp = await createTestApp({ WECHATY_PUPPET: "wechaty-puppet-not-installed" });
    cleanup.push(() => t.close());
    expect(t.ctx.wechatStatus?.()).toMatchObject({ loggedIn: false });
    expect(t.ctx.wechatStatus?.().lastError).toMatch(/wechaty-puppet-not-installed/);
    expect((await t.say("u-1", "你好")).replies[0]?.text).toContain("欢迎来到宁波");
  });
});

describe("unhandled rejections", () => {
  // A separate process with just the channel (no HTTP app): whether it survives is the point.
  // It first gets a rejection from puppet code (must survive), then one from our own code (must crash).
  const script = `
    import { mkdtempSync } from "node:fs";
    import { tmpdir } from "node:os";
    import pino from "pino";
    import { mock, PuppetMock } from "wechaty-puppet-mock";
    import { WechatChannel } from "./src/channels/wechaty/adapter.ts";
    import { loadConfig } from "./src/config/config.ts";
    const dir = mkdtempSync(tmpdir() + "/wechat-guard-");
    const config = loadConfig({ LOG_LEVEL: "silent", DATA_DIR: dir });
    const ctx = { config, clock: { now: () => Date.now() }, log: pino({ level: "silent" }), store: {}, channels: new Map(), onClose: [] };
    const wechat = new WechatChannel(ctx, { puppet: new PuppetMock({ mocker: new mock.Mocker() }), printQr: false });
    await wechat.start();
    const rejectWith = (stack) => {
      const err = new Error("stream closed");
      err.stack = stack;
      Promise.reject(err);
      return new Promise((resolve) => setTimeout(resolve, 200));
    };
    await rejectWith("Error: stream closed\\n    at PuppetService.onStreamEnd (file:///srv/node_modules/wechaty-puppet-service/dist/esm/src/client/puppet-service.js:120:11)");
    console.log("survived the puppet");
    await rejectWith("Error: stream closed\\n    at scan (file:///srv/src/reminders/scan.ts:10:1)");
    console.log("survived our own bug");
  `;

  it("from puppet code are logged and do not take the service down; other ones still do", async () => {
    const { status, stdout } = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        cwd: process.cwd(),
        env: { ...process.env, LOG_LEVEL: "silent" },
        stdio: ["ignore", "pipe", "ignore"],
      });
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.on("close", (code) => resolve({ status: code, stdout: out }));
    });
    expect(stdout).toContain("survived the puppet");
    expect(stdout).not.toContain("survived our own bug");
    expect(status).not.toBe(0);
  });
});
