import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runReminderScan } from "../../src/reminders/scan.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { at, dateFrom, deliveryRows, postPermits, reminders, runScan, staff, tempDir, WebhookReceiver } from "./support.ts";

const TODAY = "2026-03-01";

const scan = (t: TestApp) => runReminderScan({ reminders: t.ctx.store.reminders, timeZone: t.ctx.config.TZ }, t.clock.now());

describe("reminder stages and the catch-up rule", () => {
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

  it("sends exactly the stage due at each boundary (31/30/8/7/2/1/0/-1 days before endorseBy)", async () => {
    const cases: [number, string | null][] = [
      [31, null],
      [30, "d30"],
      [8, "d30"],
      [7, "d7"],
      [2, "d7"],
      [1, "d1"],
      [0, "d1"],
      [-1, "overdue"],
    ];
    const rows = cases.map(([days]) => ({
      channel: "api",
      userId: `u-boundary${days}`,
      permitNumber: `B${days + 100}-0001`,
      holderName: "张三",
      endorseBy: dateFrom(TODAY, days),
    }));
    const posted = await postPermits(t, reviewer, rows);
    expect(posted.body).toEqual({ upserted: 8, rejected: [] });

    expect((await runScan(t, reviewer)).queued).toBe(7);
    await t.ctx.dispatcher.drain();

    const phrases: Record<string, string[]> = {
      d30: ["还有一个月左右", "我要签注", "退订提醒"],
      d7: ["只剩一周左右"],
      d1: ["就在眼前", "暂停使用"],
      overdue: ["已经过了", "暂停使用", "连续居住的年限从补签那天起重新算", "回复“我要签注”"],
    };
    for (const [days, stage] of cases) {
      const got = hook.received(`u-boundary${days}`);
      if (!stage) {
        expect(got, `${days} days before`).toEqual([]);
        continue;
      }
      expect(got, `${days} days before`).toHaveLength(1);
      expect(got[0]?.kind).toBe("reminder");
      for (const p of phrases[stage] ?? []) expect(got[0]?.text).toContain(p);
      expect(got[0]?.text).toContain(`编号尾号 0001`);
      const items = await reminders(t, reviewer, `B${days + 100}-0001`);
      const sent = items.filter((i) => i.status === "sent").map((i) => i.stage);
      expect(sent, `${days} days before`).toEqual([stage]);
    }
    // The catch-up rule: at 1 day before, d30 and d7 were due too, but only d1 went; the others are recorded as skipped.
    const oneDay = await reminders(t, reviewer, "B101-0001");
    expect(oneDay.map((i) => [i.stage, i.status])).toEqual([
      ["d1", "sent"],
      ["d7", "skipped"],
      ["d30", "skipped"],
    ]);
    // Calling again decides nothing new.
    expect((await runScan(t, reviewer)).queued).toBe(0);
    await t.ctx.dispatcher.drain();
    expect(hook.received().length).toBe(7);
  });

  it("follows one permit through a whole cycle: d30, d7, d1, overdue, each once; a skipped stage never goes later", async () => {
    const endorseBy = dateFrom(TODAY, 40);
    await postPermits(t, reviewer, [
      { channel: "api", userId: "u-cycle", permitNumber: "CYCLE-0002", holderName: "李四", endorseBy },
    ]);
    const timeline: [number, string | null][] = [
      [31, null],
      [30, "d30"],
      [29, null],
      [8, null],
      [7, "d7"],
      [3, null],
      [1, "d1"],
      [0, null],
      [-1, "overdue"],
      [-2, null],
      [-20, null],
    ];
    const stagesSeen: string[] = [];
    for (const [daysBefore, expected] of timeline) {
      t.clock.set(at(dateFrom(endorseBy, -daysBefore), "09:30"));
      await scan(t);
      await t.ctx.dispatcher.drain();
      const got = hook.received("u-cycle");
      expect(got.length, `at ${daysBefore} days`).toBe(stagesSeen.length + (expected ? 1 : 0));
      if (expected) stagesSeen.push(expected);
    }
    // Staff sessions expire as the clock moves on: sign in again to look.
    const items = await reminders(t, await staff(t, "reviewer"), "CYCLE-0002");
    expect(items.map((i) => [i.stage, i.status])).toEqual([
      ["overdue", "sent"],
      ["d1", "sent"],
      ["d7", "sent"],
      ["d30", "sent"],
    ]);
    expect(new Set(items.map((i) => i.cycle))).toEqual(new Set([endorseBy]));
  });

  it("after an outage sends only the latest due stage", async () => {
    t.clock.set(at(TODAY));
    reviewer = await staff(t, "reviewer");
    const endorseBy = dateFrom(TODAY, 40);
    await postPermits(t, reviewer, [
      { channel: "api", userId: "u-outage", permitNumber: "OUT-0003", holderName: "王五", endorseBy },
    ]);
    // Down from 40 days before until 5 days before: d30 was missed; only d7 goes now.
    t.clock.set(at(dateFrom(endorseBy, -5)));
    expect((await scan(t)).queued).toBe(1);
    await t.ctx.dispatcher.drain();
    expect(hook.received("u-outage").map((h) => h.text.includes("只剩一周左右"))).toEqual([true]);
    // And d30 stays skipped for good: a day later nothing new.
    t.clock.set(at(dateFrom(endorseBy, -4)));
    expect((await scan(t)).queued).toBe(0);
    expect((await reminders(t, await staff(t, "reviewer"), "OUT-0003")).map((i) => [i.stage, i.status])).toEqual([
      ["d7", "sent"],
      ["d30", "skipped"],
    ]);
  });

  it("residents who reply 退订提醒 get none until they reply 订阅提醒", async () => {
    t.clock.set(at(TODAY));
    reviewer = await staff(t, "reviewer");
    await postPermits(t, reviewer, [
      { channel: "api", userId: "u-optout", permitNumber: "OPT-0004", holderName: "赵六", endorseBy: dateFrom(TODAY, 20) },
    ]);
    const off = await t.say("u-optout", "退订提醒");
    expect(off.replies[0]?.text).toContain("已为您退订签注提醒");
    expect((await runScan(t, reviewer)).queued).toBe(0);
    await t.ctx.dispatcher.drain();
    expect(hook.received("u-optout")).toEqual([]);

    const on = await t.say("u-optout", "订阅提醒");
    expect(on.replies[0]?.text).toContain("已为您打开签注提醒");
    expect((await runScan(t, reviewer)).queued).toBe(1);
    await t.ctx.dispatcher.drain();
    expect(hook.received("u-optout")).toHaveLength(1);

    // Opting out also stops a reminder already queued but not yet sent (e.g. held overnight).
    await postPermits(t, reviewer, [
      { channel: "api", userId: "u-optout", permitNumber: "OPT-0005", holderName: "赵六", endorseBy: dateFrom(TODAY, 6) },
    ]);
    expect((await runScan(t, reviewer)).queued).toBe(1);
    await t.say("u-optout", "不要提醒了");
    await t.ctx.dispatcher.drain();
    expect(hook.received("u-optout")).toHaveLength(1);
    expect((await reminders(t, reviewer, "OPT-0005")).map((r) => [r.stage, r.status])).toEqual([
      ["d7", "cancelled"],
      ["d30", "skipped"],
    ]);
  });

  // Two scans at the same moment are tested with two real processes on one database, where only
  // the database's unique key can keep them apart: tests/ops/crash.test.ts.
});

describe("reliability across restarts", () => {
  it("a decision taken just before a crash is delivered once after the restart", async () => {
    const hook = await new WebhookReceiver().start();
    const dir = tempDir();
    const env = { API_WEBHOOK_URL: hook.url };
    try {
      const first = await createTestApp(env, { dir, now: at(TODAY) });
      const reviewer = await staff(first, "reviewer");
      await postPermits(first, reviewer, [
        { channel: "api", userId: "u-crash", permitNumber: "CRASH-0005", holderName: "孙七", endorseBy: dateFrom(TODAY, 7) },
      ]);
      expect((await runScan(first, reviewer)).queued).toBe(1);
      // The process dies before the dispatcher ever ran.
      await first.close();
      expect(hook.calls).toHaveLength(0);

      const second = await createTestApp(env, { dir, databaseUrl: first.databaseUrl, now: at(TODAY, "10:05") });
      await second.ctx.dispatcher.drain();
      expect(hook.received("u-crash")).toHaveLength(1);
      // The decision is remembered: scanning again queues nothing, nothing is sent twice.
      const reviewer2 = await staff(second, "reviewer");
      expect((await runScan(second, reviewer2)).queued).toBe(0);
      await second.ctx.dispatcher.drain();
      expect(hook.calls).toHaveLength(1);
      expect((await deliveryRows(second, "kind = 'reminder'")).map((d) => d.status)).toEqual(["sent"]);
      await second.close();
    } finally {
      await hook.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
