import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChannelId } from "../../src/domain/types.ts";
import { resumeBroadcasts } from "../../src/outbox/broadcasts.ts";
import { Dispatcher } from "../../src/outbox/dispatcher.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { at, deliveryRows, RecordingChannel, staff, WebhookReceiver } from "./support.ts";

interface Progress {
  id: string;
  status: string;
  recipients: number;
  sent: number;
  failed: number;
  pending: number;
  cancelled: number;
}

describe("staff broadcasts", () => {
  let hook: WebhookReceiver;
  let t: TestApp;
  let admin: Record<string, string>;
  let wechat: RecordingChannel;

  const resident = async (channel: ChannelId, userId: string, patch: { district?: string; acceptsNotices?: boolean } = {}) => {
    const id = await t.ctx.store.conversations.ensureResident(channel, userId, t.clock.now());
    await t.sql.run(
      `UPDATE "Resident" SET district = ?, acceptsNotices = ? WHERE id = ?`,
      patch.district ?? null,
      patch.acceptsNotices !== false,
      id,
    );
    return id;
  };

  const post = async (payload: Record<string, unknown>, headers = admin) => {
    const res = await t.app.inject({ method: "POST", url: "/api/v1/staff/broadcasts", headers, payload });
    return { status: res.statusCode, body: res.json() as { id: string | null; recipients: number } };
  };
  const progress = async (id: string) => {
    const res = await t.app.inject({ method: "GET", url: `/api/v1/staff/broadcasts/${id}`, headers: admin });
    return res.json() as Progress;
  };

  beforeAll(async () => {
    hook = await new WebhookReceiver().start();
    t = await createTestApp({ API_WEBHOOK_URL: hook.url }, { now: at("2026-03-02") });
    admin = await staff(t, "admin");
    // A WeChat-like channel: slow (one message per second at most) and without an idempotency key.
    wechat = new RecordingChannel("wechat", { buttons: false, idempotent: false, minGapMs: 1000 });
    t.ctx.channels.set("wechat", wechat);
    for (let i = 0; i < 6; i++) await resident("api", `u-b${i}`, { district: i < 4 ? "鄞州区" : "海曙区" });
    await resident("api", "u-quiet1", { district: "鄞州区", acceptsNotices: false });
    await resident("api", "u-quiet2", { acceptsNotices: false });
    for (let i = 0; i < 3; i++) await resident("web", `w-b${i}`, { district: "鄞州区" });
    for (let i = 0; i < 5; i++) await resident("wechat", `wx-b${i}`, { district: "北仑区" });
  });
  afterAll(async () => {
    await t.close();
    await hook.stop();
  });

  it("counts the audience before sending: residents who accept notices, by channel and district; admins only", async () => {
    expect((await post({ text: "通知", dryRun: true })).body).toEqual({ id: null, recipients: 14, dryRun: true });
    expect((await post({ text: "通知", audience: { district: "鄞州区" }, dryRun: true })).body.recipients).toBe(7);
    expect((await post({ text: "通知", audience: { channel: "api", district: "鄞州区" }, dryRun: true })).body.recipients).toBe(
      4,
    );
    expect((await post({ text: "通知", audience: { channel: "sms" }, dryRun: true })).status).toBe(400);
    expect((await post({ text: "", dryRun: true })).status).toBe(400);
    expect((await post({ text: "通知", dryRun: true }, await staff(t, "reviewer"))).status).toBe(403);
    expect(await deliveryRows(t)).toEqual([]);
  });

  it("delivers to each chosen resident once, with progress, and never twice when queueing is resumed", async () => {
    const created = await post({
      text: "【通知】3月5日起社区服务中心周六照常开放。",
      audience: { channel: "api", district: "鄞州区" },
    });
    expect(created.status).toBe(200);
    expect(created.body.recipients).toBe(4);
    const id = created.body.id as string;
    expect(await progress(id)).toMatchObject({ status: "sending", recipients: 4, pending: 4, sent: 0 });

    await t.ctx.dispatcher.drain();
    const got = hook.received();
    expect(got.map((h) => h.userId).sort()).toEqual(["u-b0", "u-b1", "u-b2", "u-b3"]);
    expect(new Set(got.map((h) => h.kind))).toEqual(new Set(["broadcast"]));
    expect(await progress(id)).toMatchObject({ status: "done", recipients: 4, sent: 4, pending: 0, failed: 0 });

    // A restart in the middle of queueing runs the queueing again: nobody gets it twice.
    await t.sql.run(`UPDATE "Broadcast" SET status = 'queued' WHERE id = ?`, id);
    await resumeBroadcasts({
      broadcasts: t.ctx.store.broadcasts,
      clock: t.clock,
      log: t.ctx.log,
      channels: t.ctx.channels,
      dispatcher: t.ctx.dispatcher,
    });
    await t.ctx.dispatcher.drain();
    expect(hook.calls).toHaveLength(4);
    expect(await deliveryRows(t, "broadcastId = ?", id)).toHaveLength(4);

    const list = await t.app.inject({ method: "GET", url: "/api/v1/staff/broadcasts", headers: admin });
    expect((list.json() as { items: Progress[] }).items[0]).toMatchObject({ id, sent: 4 });
    const missing = await t.app.inject({ method: "GET", url: "/api/v1/staff/broadcasts/nope", headers: admin });
    expect(missing.statusCode).toBe(404);
  });

  it("paces WeChat slowly while the api channel goes at once; a staff reply overtakes the broadcast; cancel stops the rest", async () => {
    hook.calls.length = 0;
    // Real time: both lanes (urgent and bulk) pace the one WeChat account together, which only a
    // real clock shows (1 s apart: this test takes a few seconds).
    const wechatSentAt: number[] = [];
    wechat.fail = () => {
      wechatSentAt.push(performance.now());
      return null;
    };
    try {
      const dispatcher = new Dispatcher({
        outbox: t.ctx.store.outbox,
        channels: t.ctx.channels,
        clock: t.clock,
        log: t.ctx.log,
        quietHours: null,
        timeZone: "Asia/Shanghai",
      });
      const created = await post({ text: "【通知】社保年度缴费基数调整说明" });
      const id = created.body.id as string;
      expect(created.body.recipients).toBe(14);

      const firstPass = performance.now();
      await dispatcher.runOnce();
      // One pass: every api and web recipient, but only one WeChat message; nothing waited.
      expect(hook.received().length).toBe(6);
      expect(wechat.sent).toHaveLength(1);
      expect(performance.now() - firstPass).toBeLessThan(900);

      const wx = await t.ctx.store.conversations.ensureResident("wechat", "wx-b4", t.clock.now());
      await t.ctx.store.apply(
        [
          {
            type: "delivery.enqueue",
            delivery: {
              residentId: wx,
              channel: "wechat",
              kind: "staff",
              text: "工作人员回复：材料已收到",
              dedupeKey: "staff:t1",
            },
          },
        ],
        t.clock.now(),
      );
      // The staff reply goes in the very next pass (its own lane), ahead of the three broadcast
      // messages still waiting; the broadcast lane sends its next one in that pass too.
      await dispatcher.runOnce();
      expect(wechat.sent.map((m) => m.kind).sort()).toEqual(["broadcast", "broadcast", "staff"]);
      expect(await progress(id)).toMatchObject({ sent: 11, pending: 3 });
      // The WeChat sends were spaced by about a second each, across both lanes.
      expect(wechatSentAt).toHaveLength(3);
      for (let i = 1; i < wechatSentAt.length; i++) {
        expect((wechatSentAt[i] as number) - (wechatSentAt[i - 1] as number)).toBeGreaterThan(900);
      }

      const cancel = await t.app.inject({ method: "POST", url: `/api/v1/staff/broadcasts/${id}/cancel`, headers: admin });
      expect(cancel.statusCode).toBe(200);
      expect(cancel.json()).toMatchObject({ status: "cancelled", sent: 11, cancelled: 3, pending: 0 });
      await dispatcher.drain();
      expect(wechat.sent.filter((m) => m.kind === "broadcast")).toHaveLength(2);
      expect(await progress(id)).toMatchObject({ status: "cancelled", sent: 11, cancelled: 3, pending: 0 });
      // Cancelled messages never appear in a web resident's transcript; sent ones do.
      const texts = await t.sql.all<{ text: string }>(
        `SELECT m.text FROM "Message" m JOIN "Resident" r ON r.id = m.residentId WHERE r.channelUserId = 'w-b0'`,
      );
      expect(texts.map((m) => m.text)).toEqual(["【通知】社保年度缴费基数调整说明"]);
    } finally {
      wechat.fail = null;
    }
  });

  it("nothing of a cancelled broadcast goes out, even deliveries not yet marked cancelled (a restart mid-cancel)", async () => {
    hook.calls.length = 0;
    const created = await post({ text: "【通知】停水通知", audience: { channel: "api", district: "海曙区" } });
    const id = created.body.id as string;
    await t.sql.run(`UPDATE "Broadcast" SET status = 'cancelled' WHERE id = ?`, id);
    expect(await progress(id)).toMatchObject({ status: "cancelled", cancelled: 2, pending: 0 });
    await t.ctx.dispatcher.drain();
    expect(hook.calls).toHaveLength(0);
    expect((await deliveryRows(t, "broadcastId = ?", id)).map((d) => d.status)).toEqual(["cancelled", "cancelled"]);
  });
});
