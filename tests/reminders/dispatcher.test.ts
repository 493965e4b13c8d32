import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import { addDays, localDate } from "../../src/domain/calendar.ts";
import { orderedId } from "../../src/domain/ids.ts";
import type { ChannelId, ProactiveKind } from "../../src/domain/types.ts";
import { runReminderScan } from "../../src/reminders/scan.ts";
import { ADMIN_PASSWORD, API_TOKEN, createTestApp, type TestApp } from "../helpers/app.ts";
import { freshDatabaseUrl } from "../helpers/database.ts";
import { at, DeliveryError, dateFrom, deliveryRows, RecordingChannel, staff, tempDir, WebhookReceiver } from "./support.ts";

const TODAY = "2026-03-01";

const status = async (t: TestApp, id: string) => (await deliveryRows(t, "id = ?", id))[0];

async function enqueue(
  t: TestApp,
  channel: ChannelId,
  userId: string,
  kind: ProactiveKind,
  text: string,
  key: string,
): Promise<string> {
  const now = t.clock.now();
  const residentId = await t.ctx.store.conversations.ensureResident(channel, userId, now);
  const id = orderedId();
  await t.ctx.store.apply([{ type: "delivery.enqueue", delivery: { id, residentId, channel, kind, text, dedupeKey: key } }], now);
  if (!(await status(t, id))) throw new Error("duplicate key");
  return id;
}

async function transcript(t: TestApp, userId: string): Promise<string[]> {
  const rows = await t.sql.all<{ text: string }>(
    `SELECT m.text FROM "Message" m JOIN "Resident" r ON r.id = m.residentId WHERE r.channelUserId = ? ORDER BY m.id`,
    userId,
  );
  return rows.map((m) => m.text);
}

describe("the api channel webhook", () => {
  let hook: WebhookReceiver;
  let t: TestApp;
  beforeAll(async () => {
    hook = await new WebhookReceiver().start();
    t = await createTestApp({ API_WEBHOOK_URL: hook.url }, { now: at(TODAY) });
  });
  afterAll(async () => {
    await t.close();
    await hook.stop();
  });

  it("posts { id, userId, text, kind } with the bearer token, and a failing receiver that recovers gets the message once, same id", async () => {
    hook.script = [500, 500];
    const id = await enqueue(t, "api", "u-hook", "reminder", "签注提醒正文", "test:hook");
    await t.ctx.dispatcher.drain();
    expect(hook.calls).toHaveLength(1);
    expect(await status(t, id)).toMatchObject({ status: "pending", attempts: 1, lastError: "webhook answered 500" });

    // Backoff: nothing is retried before the delay (30 s, then 60 s) has passed.
    await t.ctx.dispatcher.drain();
    expect(hook.calls).toHaveLength(1);
    t.clock.advance(30_000);
    await t.ctx.dispatcher.drain();
    expect(hook.calls).toHaveLength(2);
    t.clock.advance(30_000);
    await t.ctx.dispatcher.drain();
    expect(hook.calls).toHaveLength(2);
    t.clock.advance(30_000);
    await t.ctx.dispatcher.drain();

    expect(hook.calls).toHaveLength(3);
    expect(await status(t, id)).toMatchObject({ status: "sent", attempts: 3, lastError: null });
    expect(new Set(hook.calls.map((c) => c.body.id))).toEqual(new Set([id]));
    expect(hook.calls[2]?.headers.authorization).toBe(`Bearer ${API_TOKEN}`);
    expect(hook.calls[2]?.body).toEqual({ id, userId: "u-hook", text: "签注提醒正文", kind: "reminder" });
    expect(hook.received("u-hook")).toHaveLength(1);
    // A reminder enters the resident's transcript once, when it was actually sent.
    expect(await transcript(t, "u-hook")).toEqual(["签注提醒正文"]);
  });

  it("gives up after repeated failures and keeps the last error; a rejecting receiver (4xx) is not retried", async () => {
    hook.calls.length = 0;
    hook.script = Array(20).fill(503);
    const id = await enqueue(t, "api", "u-down", "notice", "通知", "test:down");
    // Daily steps keep the test at 10:00, outside quiet hours; the backoff is capped at an hour.
    for (let i = 0; i < 12; i++) {
      await t.ctx.dispatcher.drain();
      t.clock.advance(24 * 3_600_000);
    }
    expect(hook.calls).toHaveLength(8);
    expect(await status(t, id)).toMatchObject({ status: "failed", attempts: 8, lastError: "webhook answered 503" });

    hook.calls.length = 0;
    hook.script = [400];
    const rejected = await enqueue(t, "api", "u-reject", "notice", "通知", "test:reject");
    await t.ctx.dispatcher.drain();
    t.clock.advance(3_600_000);
    await t.ctx.dispatcher.drain();
    expect(hook.calls).toHaveLength(1);
    expect(await status(t, rejected)).toMatchObject({ status: "failed", lastError: "webhook answered 400" });
  });
});

describe("restarts", () => {
  it("a delivery interrupted mid-send is resent on the api channel (same id) but marked unknown on a channel that cannot de-duplicate", async () => {
    const hook = await new WebhookReceiver().start();
    const dir = tempDir();
    const env = { API_WEBHOOK_URL: hook.url };
    try {
      const first = await createTestApp(env, { dir, now: at(TODAY) });
      // A WeChat-like channel: no idempotency key. Its send never returns: the process dies mid-call.
      const inCall = new Set<string>();
      const hanging = new RecordingChannel("wechat", { buttons: false, idempotent: false, minGapMs: 0 });
      hanging.send = (m) => {
        inCall.add(m.id);
        return new Promise(() => {});
      };
      first.ctx.channels.set("wechat", hanging);
      const wechatId = await enqueue(first, "wechat", "wx-1", "reminder", "提醒", "test:wx");
      const apiId = await enqueue(first, "api", "u-api", "reminder", "提醒", "test:api");
      hook.script = [];
      // The api call hangs too: the receiver never answers before the crash.
      first.ctx.channels.get("api")!.send = (m) => {
        inCall.add(m.id);
        return new Promise(() => {});
      };
      void first.ctx.dispatcher.runOnce();
      for (let i = 0; i < 300 && inCall.size < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(inCall).toEqual(new Set([wechatId, apiId]));
      expect((await status(first, wechatId))?.status).toBe("sending");
      expect((await status(first, apiId))?.status).toBe("sending");
      await first.close();

      // Another instance takes over a claim only once its lease (60 s) has run out.
      const second = await createTestApp(env, { dir, databaseUrl: first.databaseUrl, now: at(TODAY, "10:02") });
      const wechat = new RecordingChannel("wechat", { buttons: false, idempotent: false, minGapMs: 0 });
      second.ctx.channels.set("wechat", wechat);
      await second.ctx.dispatcher.drain();
      expect(await status(second, wechatId)).toMatchObject({ status: "unknown" });
      expect((await status(second, wechatId))?.lastError).toContain("may or may not have arrived");
      expect(wechat.sent).toEqual([]);
      expect((await status(second, apiId))?.status).toBe("sent");
      expect(hook.calls.map((c) => c.body.id)).toEqual([apiId]);

      // Staff see it, check with the resident, and may send it again.
      const agent = await staff(second, "agent");
      const list = await second.app.inject({ method: "GET", url: "/api/v1/staff/deliveries?status=unknown", headers: agent });
      expect((list.json() as { items: { id: string; lastError: string }[] }).items.map((d) => d.id)).toEqual([wechatId]);
      const resend = await second.app.inject({
        method: "POST",
        url: `/api/v1/staff/deliveries/${wechatId}/resend`,
        headers: agent,
      });
      expect(resend.statusCode).toBe(200);
      await second.ctx.dispatcher.drain();
      expect(wechat.sent.map((m) => m.id)).toEqual([wechatId]);
      const again = await second.app.inject({
        method: "POST",
        url: `/api/v1/staff/deliveries/${wechatId}/resend`,
        headers: agent,
      });
      expect(again.statusCode).toBe(409);
      await second.close();
    } finally {
      await hook.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("quiet hours (21:00-08:00)", () => {
  let hook: WebhookReceiver;
  let t: TestApp;
  beforeAll(async () => {
    hook = await new WebhookReceiver().start();
    t = await createTestApp({ API_WEBHOOK_URL: hook.url, REMINDER_QUIET_HOURS: "21:00-08:00" }, { now: at(TODAY, "22:30") });
  });
  afterAll(async () => {
    await t.close();
    await hook.stop();
  });

  it("holds reminders, notices and broadcasts across midnight and sends them when the window ends; staff replies go at once", async () => {
    await t.sql.run(
      `INSERT INTO "Permit" (id, permitNumber, holderName, channel, channelUserId, residentId, endorseBy, createdAt, updatedAt)
       VALUES ('p-quiet', 'QUIET-0001', '周八', 'api', 'u-quiet', ?, ?, 0, 0)`,
      await t.ctx.store.conversations.ensureResident("api", "u-quiet", t.clock.now()),
      dateFrom(TODAY, 7),
    );
    expect((await runReminderScan({ reminders: t.ctx.store.reminders, timeZone: "Asia/Shanghai" }, t.clock.now())).queued).toBe(
      1,
    );
    await enqueue(t, "api", "u-quiet", "notice", "您的申请已通过", "test:notice");
    await enqueue(t, "api", "u-quiet", "staff", "工作人员：您好，材料收到了", "test:staff");

    await t.ctx.dispatcher.drain();
    expect(hook.received("u-quiet").map((h) => h.kind)).toEqual(["staff"]);
    // Held messages are not in the transcript (the web chat) yet either.
    expect((await transcript(t, "u-quiet")).some((m) => m.includes("签注提醒"))).toBe(false);

    for (const time of ["23:59", "00:30", "07:59"]) {
      t.clock.set(at(time === "23:59" ? TODAY : dateFrom(TODAY, 1), time));
      await t.ctx.dispatcher.drain();
      expect(hook.received("u-quiet"), `at ${time}`).toHaveLength(1);
    }
    t.clock.set(at(dateFrom(TODAY, 1), "08:00"));
    await t.ctx.dispatcher.drain();
    expect(
      hook
        .received("u-quiet")
        .map((h) => h.kind)
        .sort(),
    ).toEqual(["notice", "reminder", "staff"]);
    expect((await transcript(t, "u-quiet")).some((m) => m.includes("签注提醒"))).toBe(true);
  });
});

describe("web channel", () => {
  it("a reminder for a web-chat resident lands in their transcript when sent", async () => {
    const t = await createTestApp({}, { now: at(TODAY) });
    try {
      await enqueue(t, "web", "w-1", "reminder", "【居住证签注提醒】测试", "test:web");
      expect(await transcript(t, "w-1")).toEqual([]);
      await t.ctx.dispatcher.drain();
      expect(await transcript(t, "w-1")).toEqual(["【居住证签注提醒】测试"]);
      expect((await deliveryRows(t)).map((d) => d.status)).toEqual(["sent"]);
    } finally {
      await t.close();
    }
  });

  it("an unexpected error on a channel that cannot de-duplicate leaves the delivery unknown, not resent", async () => {
    const t = await createTestApp({}, { now: at(TODAY) });
    try {
      const wechat = new RecordingChannel("wechat", { buttons: false, idempotent: false, minGapMs: 0 });
      wechat.fail = () => new Error("socket hang up") as DeliveryError;
      t.ctx.channels.set("wechat", wechat);
      const id = await enqueue(t, "wechat", "wx-2", "notice", "通知", "test:wx2");
      await t.ctx.dispatcher.drain();
      expect(await status(t, id)).toMatchObject({ status: "unknown", lastError: "socket hang up" });
      // A DeliveryError that says "not sent, try again" is retried.
      wechat.fail = () => new DeliveryError("not logged in", true);
      const retry = await enqueue(t, "wechat", "wx-2", "notice", "通知2", "test:wx3");
      await t.ctx.dispatcher.drain();
      expect(await status(t, retry)).toMatchObject({ status: "pending", attempts: 1 });
      wechat.fail = null;
      t.clock.advance(60_000);
      await t.ctx.dispatcher.drain();
      expect((await status(t, retry))?.status).toBe("sent");
      expect(wechat.sent.map((m) => m.text)).toEqual(["通知2"]);

      // "Failed half-way, may have arrived" on such a channel: unknown, for staff to check.
      wechat.fail = () => new DeliveryError("WeChat send failed; the message may or may not have arrived", false);
      const halfway = await enqueue(t, "wechat", "wx-2", "notice", "通知3", "test:wx4");
      await t.ctx.dispatcher.drain();
      expect((await status(t, halfway))?.status).toBe("unknown");

      // The daily cap: the channel says when to retry; waiting for it uses up no attempt.
      const tomorrow = t.clock.now() + 10 * 3_600_000;
      wechat.fail = () => Object.assign(new DeliveryError("daily cap reached", true), { retryAt: tomorrow });
      const capped = await enqueue(t, "wechat", "wx-2", "notice", "通知4", "test:wx5");
      await t.ctx.dispatcher.drain();
      expect((await deliveryRows(t, "id = ?", capped))[0]).toMatchObject({ status: "pending", attempts: 0, notBefore: tomorrow });
      wechat.fail = null;
      t.clock.set(tomorrow);
      await t.ctx.dispatcher.drain();
      expect((await status(t, capped))?.status).toBe("sent");
    } finally {
      await t.close();
    }
  });
});

describe("the background loop", () => {
  const until = async (check: () => boolean | Promise<boolean>) => {
    for (let i = 0; i < 300 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
    return check();
  };

  it("kick() delivers right after an enqueue; stop() lets the send in flight finish and puts the rest back", async () => {
    const t = await createTestApp({}, { now: at(TODAY) });
    try {
      const wechat = new RecordingChannel("wechat", { buttons: false, idempotent: true, minGapMs: 20 });
      t.ctx.channels.set("wechat", wechat);
      t.ctx.dispatcher.start();
      const first = await enqueue(t, "wechat", "wx-loop", "notice", "第一条", "loop:1");
      t.ctx.dispatcher.kick();
      expect(await until(async () => (await status(t, first))?.status === "sent")).toBe(true);

      // The next send hangs until released; two more wait behind it.
      let release: (() => void) | null = null;
      let inFlight = "";
      const original = wechat.send.bind(wechat);
      wechat.send = (m) =>
        new Promise<void>((resolve) => {
          inFlight = m.id;
          release = () => void original(m).then(resolve);
        });
      const ids: string[] = [];
      for (const [i, k] of ["loop:2", "loop:3", "loop:4"].entries())
        ids.push(await enqueue(t, "wechat", "wx-loop", "notice", `消息${i}`, k));
      t.ctx.dispatcher.kick();
      expect(await until(() => release !== null)).toBe(true);
      const stopped = t.ctx.dispatcher.stop();
      (release as unknown as () => void)();
      await stopped;
      expect((await status(t, inFlight))?.status).toBe("sent");
      const rest = await Promise.all(ids.filter((id) => id !== inFlight).map((id) => status(t, id)));
      expect(rest.map((d) => [d?.status, d?.attempts])).toEqual([
        ["pending", 0],
        ["pending", 0],
      ]);
    } finally {
      await t.close();
    }
  });
});

describe("npm start (background jobs on)", () => {
  it("scans at start-up and delivers without anyone calling the dispatcher", async () => {
    const hook = await new WebhookReceiver().start();
    const dir = tempDir();
    const config = loadConfig({
      DATABASE_URL: await freshDatabaseUrl(dir),
      DATA_DIR: dir,
      API_TOKEN,
      API_WEBHOOK_URL: hook.url,
      LOG_LEVEL: "silent",
      REMINDER_QUIET_HOURS: "00:00-00:00",
      STAFF_ADMIN_USERNAME: "admin",
      STAFF_ADMIN_PASSWORD: ADMIN_PASSWORD,
    });
    const { app, ctx } = await buildApp({ config, jobs: true });
    try {
      const now = Date.now();
      const endorseBy = addDays(localDate(now, config.TZ), 3);
      await ctx.store.permits.upsert(
        [{ channel: "api", userId: "u-live", permitNumber: "LIVE-0001", holderName: "钱九", endorseBy }],
        now,
      );
      for (let i = 0; i < 100 && hook.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(hook.received("u-live").map((h) => h.kind)).toEqual(["reminder"]);
    } finally {
      await app.close();
      await hook.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
