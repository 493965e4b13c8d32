/**
 * The outbox shared by several instances: claims with leases, take-over only after a lease ran
 * out, a staff reply never stuck behind a broadcast, and cancel stopping claimed rows.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Store } from "../../src/data/store.ts";
import { type ChannelAdapter, DeliveryError, type OutboundMessage } from "../../src/dialog/channel.ts";
import type { ChannelId } from "../../src/domain/types.ts";
import type { ManualClock } from "../../src/lib/clock.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { Dispatcher } from "../../src/outbox/dispatcher.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { eventually } from "../helpers/processes.ts";

const log = createLogger("silent");

/** A channel that records what it was given and can be made slow for some kinds. */
class SlowChannel implements ChannelAdapter {
  readonly sent: OutboundMessage[] = [];
  readonly started: OutboundMessage[] = [];
  constructor(
    readonly id: ChannelId,
    readonly capabilities: ChannelAdapter["capabilities"],
    private readonly delayFor: (m: OutboundMessage) => number = () => 0,
  ) {}
  async send(m: OutboundMessage): Promise<void> {
    this.started.push(m);
    const ms = this.delayFor(m);
    if (ms) await new Promise((r) => setTimeout(r, ms));
    this.sent.push(m);
  }
}

const apps: TestApp[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const t of apps.splice(0)) await t.close();
});

async function app(): Promise<TestApp> {
  const t = await createTestApp();
  apps.push(t);
  return t;
}

/** A second instance on the same database: its own store (instance id) and dispatcher. */
async function secondInstance(t: TestApp, channel: ChannelAdapter, clock: ManualClock, leaseMs: number) {
  const store = await Store.open(t.databaseUrl);
  stores.push(store);
  const dispatcher = new Dispatcher({
    outbox: store.outbox,
    channels: new Map([[channel.id, channel]]),
    clock,
    log,
    quietHours: null,
    timeZone: "Asia/Shanghai",
    leaseMs,
  });
  return { store, dispatcher };
}

async function queue(t: TestApp, n: number, kind: "reminder" | "staff", channel: ChannelId = "api") {
  const now = t.clock.now();
  for (let i = 0; i < n; i++) {
    const residentId = await t.ctx.store.conversations.ensureResident(channel, `lease-${kind}-${i}`, now);
    await t.ctx.store.apply(
      [
        {
          type: "delivery.enqueue",
          delivery: { residentId, channel, kind, text: `${kind} ${i}`, dedupeKey: `${kind}:lease:${i}` },
        },
      ],
      now,
    );
  }
}

describe("outbox claims shared by instances", () => {
  it("leaves another live instance's claims alone and takes them over only after their lease", async () => {
    const t = await app();
    await queue(t, 3, "reminder");
    // Instance A claims everything but never gets to send (it is stuck or died).
    const claimed = await t.ctx.store.outbox.claim("api", "bulk", t.clock.now(), 10, false, 60_000);
    expect(claimed).toHaveLength(3);

    const channel = new SlowChannel("api", { buttons: true, idempotent: true, minGapMs: 0 });
    const b = await secondInstance(t, channel, t.clock, 60_000);
    // Instance B starts up and works: A's claims are still leased, so B neither sends nor requeues them.
    expect(await b.dispatcher.drain()).toBe(0);
    expect(channel.sent).toEqual([]);
    expect((await t.sql.all(`SELECT status FROM "Delivery" WHERE status = 'sending'`)).length).toBe(3);

    // A's lease runs out: B takes the claims over and sends each once.
    t.clock.advance(61_000);
    await b.dispatcher.drain();
    expect(channel.sent.map((m) => m.text).sort()).toEqual(["reminder 0", "reminder 1", "reminder 2"]);
    // A wakes up: its claim is gone, so it cannot send any of them a second time.
    expect(await t.ctx.store.outbox.handOver(claimed[0]!.id, t.clock.now(), 60_000)).toBe("lost");
  });

  it("marks a WeChat send a dead instance had handed over 'unknown', and requeues one it never handed over", async () => {
    const t = await app();
    await queue(t, 2, "reminder", "wechat");
    const outbox = t.ctx.store.outbox;
    const first = await outbox.claim("wechat", "bulk", t.clock.now(), 1, false, 60_000);
    expect(await outbox.handOver(first[0]!.id, t.clock.now(), 60_000)).toBe("go");
    const second = await outbox.claim("wechat", "bulk", t.clock.now(), 1, false, 60_000);
    // The instance dies here: the first send may have reached WeChat, the second never started.
    t.clock.advance(61_000);
    const wechat = new SlowChannel("wechat", { buttons: false, idempotent: false, minGapMs: 0 });
    const b = await secondInstance(t, wechat, t.clock, 60_000);
    await b.dispatcher.drain();
    const rows = await t.sql.all<{ id: string; status: string }>(`SELECT id, status FROM "Delivery" ORDER BY text`);
    expect(rows.find((r) => r.id === first[0]!.id)?.status).toBe("unknown");
    expect(rows.find((r) => r.id === second[0]!.id)?.status).toBe("sent");
    expect(wechat.sent.map((m) => m.id)).toEqual([second[0]!.id]);
  });

  it("does not use up attempts while a channel cannot send, and sends as soon as it can", async () => {
    const t = await app();
    await queue(t, 2, "reminder", "wechat");
    let loggedIn = false;
    const wechat = new SlowChannel("wechat", { buttons: false, idempotent: false, minGapMs: 0 });
    (wechat as ChannelAdapter).ready = () => loggedIn;
    const b = await secondInstance(t, wechat, t.clock, 60_000);
    for (let i = 0; i < 20; i++) {
      await b.dispatcher.drain();
      t.clock.advance(3_600_000);
    }
    expect(await t.sql.all(`SELECT status, attempts FROM "Delivery"`)).toEqual([
      { status: "pending", attempts: 0 },
      { status: "pending", attempts: 0 },
    ]);
    loggedIn = true;
    await b.dispatcher.drain();
    expect(wechat.sent).toHaveLength(2);
  });
});

describe("delivery order and cancel", () => {
  it("delivers a staff reply at once while a slow broadcast is being sent", async () => {
    const t = await app();
    // The receiver takes 400 ms per broadcast message; staff replies it answers at once.
    const api = new SlowChannel("api", { buttons: true, idempotent: true, minGapMs: 0 }, (m) =>
      m.kind === "broadcast" ? 400 : 0,
    );
    t.ctx.channels.set("api", api);
    const dispatcher = new Dispatcher({
      outbox: t.ctx.store.outbox,
      channels: t.ctx.channels,
      clock: t.clock,
      log,
      quietHours: null,
      timeZone: "Asia/Shanghai",
    });
    for (let i = 0; i < 120; i++) await t.ctx.store.conversations.ensureResident("api", `bc-${i}`, t.clock.now());
    const { createBroadcast } = await import("../../src/outbox/broadcasts.ts");
    const deps = { broadcasts: t.ctx.store.broadcasts, clock: t.clock, log, channels: t.ctx.channels, dispatcher };
    await createBroadcast(deps, { text: "社区通知", audience: { channel: "api" } }, null);
    dispatcher.start();
    try {
      await eventually(() => api.started.some((m) => m.kind === "broadcast"), 10_000, 10);
      const residentId = await t.ctx.store.conversations.ensureResident("api", "bc-waiting", t.clock.now());
      await t.ctx.store.apply(
        [
          {
            type: "delivery.enqueue",
            delivery: { residentId, channel: "api", kind: "staff", text: "工作人员回复", dedupeKey: "staff:order" },
          },
        ],
        t.clock.now(),
      );
      const queuedAt = Date.now();
      dispatcher.kick();
      await eventually(() => api.sent.some((m) => m.kind === "staff"), 10_000, 10);
      // Well before the broadcast (120 × 400 ms over 8 parallel sends ≈ 6 s) is done.
      expect(Date.now() - queuedAt).toBeLessThan(2_000);
      expect(api.sent.filter((m) => m.kind === "broadcast").length).toBeLessThan(120);
    } finally {
      await dispatcher.stop();
    }
  });

  it("stops a cancelled broadcast, including messages already claimed but not yet handed over", async () => {
    const t = await app();
    // Paced like WeChat, but idempotent: claims a batch at a time and sends one per 100 ms.
    const api = new SlowChannel("api", { buttons: true, idempotent: true, minGapMs: 100 });
    t.ctx.channels.set("api", api);
    const dispatcher = new Dispatcher({
      outbox: t.ctx.store.outbox,
      channels: t.ctx.channels,
      clock: t.clock,
      log,
      quietHours: null,
      timeZone: "Asia/Shanghai",
    });
    for (let i = 0; i < 60; i++) await t.ctx.store.conversations.ensureResident("api", `cx-${i}`, t.clock.now());
    const { cancelBroadcast, createBroadcast } = await import("../../src/outbox/broadcasts.ts");
    const deps = { broadcasts: t.ctx.store.broadcasts, clock: t.clock, log, channels: t.ctx.channels, dispatcher };
    const { id } = await createBroadcast(deps, { text: "测试通知", audience: { channel: "api" } }, null);
    dispatcher.start();
    try {
      await eventually(() => api.sent.length >= 3, 10_000, 10);
      const claimedBefore = await t.sql.get<{ n: number }>(
        `SELECT count(*) AS n FROM "Delivery" WHERE status = 'sending' AND handedAt IS NULL`,
      );
      expect(claimedBefore?.n).toBeGreaterThan(0);
      await cancelBroadcast(deps, id, null);
      const sentAtCancel = api.started.length;
      await new Promise((r) => setTimeout(r, 800));
      // At most the send that was already under way finishes; nothing claimed goes out after the cancel.
      expect(api.started.length - sentAtCancel).toBeLessThanOrEqual(1);
      const rows = await t.sql.all<{ status: string; n: number }>(
        `SELECT status, count(*) AS n FROM "Delivery" WHERE broadcastId = ? GROUP BY status ORDER BY status`,
        id,
      );
      expect(rows.find((r) => r.status === "pending" || r.status === "sending")).toBeUndefined();
      expect(rows.find((r) => r.status === "cancelled")?.n).toBeGreaterThan(40);
    } finally {
      await dispatcher.stop();
    }
  });

  it("retries a webhook failure without touching other instances' claims", async () => {
    const t = await app();
    await queue(t, 1, "staff");
    let fail = true;
    const api = new SlowChannel("api", { buttons: true, idempotent: true, minGapMs: 0 });
    api.send = async (m) => {
      if (fail) throw new DeliveryError("webhook answered 503", true);
      api.sent.push(m);
    };
    const b = await secondInstance(t, api, t.clock, 60_000);
    await b.dispatcher.drain();
    expect(await t.sql.get(`SELECT status, attempts FROM "Delivery"`)).toEqual({ status: "pending", attempts: 1 });
    fail = false;
    t.clock.advance(31_000);
    await b.dispatcher.drain();
    expect(api.sent).toHaveLength(1);
  });
});
