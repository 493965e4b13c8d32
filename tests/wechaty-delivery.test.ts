import { afterEach, describe, expect, it, vi } from "vitest";
import { DeliveryError, type OutboundMessage } from "../src/dialog/channel.ts";
import { startWechat, WAIT, type WechatHarness } from "./wechaty-harness.ts";

let counter = 0;
function outbound(userId: string, text: string): OutboundMessage {
  counter += 1;
  return { id: `delivery-${counter}`, channel: "wechat", userId, text, kind: "reminder" };
}

async function rejection(promise: Promise<unknown>): Promise<DeliveryError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

describe("proactive WeChat messages", () => {
  let h: WechatHarness | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await h?.close();
    h = undefined;
  });

  it("delivers a proactive message to the resident's WeChat, and only that message", async () => {
    h = await startWechat();
    const li = h.resident("李四");
    await h.wechat.send(outbound(li.contact.id, "您的居住证将在30天后到期，记得办理签注哦。"));
    expect(li.inbox).toEqual(["您的居住证将在30天后到期，记得办理签注哦。"]);
    // The assistant does not take its own proactive message for a resident's message.
    await h.wechat.idle();
    expect(await h.t.sql.get(`SELECT count(*) AS n FROM "Message" WHERE direction = 'in'`)).toEqual({ n: 0 });
  });

  it("refuses, as retryable, what surely was not sent: an unknown contact, or while logged out", async () => {
    h = await startWechat();
    const unknown = await rejection(h.wechat.send(outbound("wxid_not_a_friend", "你好")));
    expect(unknown.retryable).toBe(true);

    const li = h.resident("李四");
    await h.puppet.logout("test");
    await vi.waitFor(() => expect(h?.wechat.status().loggedIn).toBe(false), WAIT);
    const loggedOut = await rejection(h.wechat.send(outbound(li.contact.id, "你好")));
    expect(loggedOut.retryable).toBe(true);
    expect(li.inbox).toEqual([]);
  });

  it("paces proactive sends: each waits the minimum gap plus jitter after the previous one", async () => {
    // Jitter is random in [0, 1000) ms; pinned at 500 here so the test can check the exact moment.
    h = await startWechat({ WECHATY_MIN_GAP_MS: "4000" }, { pacing: { jitterMs: 1000, random: () => 0.5 } });
    const li = h.resident("李四");
    const wang = h.resident("王五");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });

    const first = h.wechat.send(outbound(li.contact.id, "第一条通知"));
    await vi.advanceTimersByTimeAsync(0);
    await first;
    expect(li.inbox).toEqual(["第一条通知"]);

    const second = h.wechat.send(outbound(wang.contact.id, "第二条通知"));
    const third = h.wechat.send(outbound(li.contact.id, "第三条通知"));
    await vi.advanceTimersByTimeAsync(4499);
    expect(wang.inbox).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await second;
    expect(wang.inbox).toEqual(["第二条通知"]);
    expect(li.inbox).toEqual(["第一条通知"]);

    await vi.advanceTimersByTimeAsync(4499);
    expect(li.inbox).toEqual(["第一条通知"]);
    await vi.advanceTimersByTimeAsync(1);
    await third;
    expect(li.inbox).toEqual(["第一条通知", "第三条通知"]);
  });

  it("answers residents at once even while proactive sends are waiting for their turn", async () => {
    h = await startWechat({ WECHATY_MIN_GAP_MS: "60000" });
    const li = h.resident("李四");
    const wang = h.resident("王五");
    await h.wechat.send(outbound(li.contact.id, "第一条通知"));
    const waiting = rejection(h.wechat.send(outbound(li.contact.id, "第二条通知")));
    const [reply] = await wang.ask("你好");
    expect(reply).toContain("欢迎来到宁波");
    expect(li.inbox).toEqual(["第一条通知"]);
    // Stopping the channel gives the waiting message back as not sent (retryable).
    await h.wechat.stop();
    expect((await waiting).retryable).toBe(true);
    expect(li.inbox).toEqual(["第一条通知"]);
  });

  it("stops at the daily cap with a retryable error and sends again the next day", async () => {
    h = await startWechat({ WECHATY_DAILY_CAP: "2", WECHATY_MIN_GAP_MS: "1" }, { pacing: { jitterMs: 0 } });
    h.t.clock.set("2026-11-28T10:00:00+08:00");
    const li = h.resident("李四");
    await h.wechat.send(outbound(li.contact.id, "通知一"));
    await h.wechat.send(outbound(li.contact.id, "通知二"));
    const capped = await rejection(h.wechat.send(outbound(li.contact.id, "通知三")));
    expect(capped.retryable).toBe(true);
    expect(capped.message).toMatch(/daily cap/);
    expect((capped as DeliveryError & { retryAt?: number }).retryAt).toBe(new Date("2026-11-29T00:00:00+08:00").getTime());
    expect(li.inbox).toEqual(["通知一", "通知二"]);

    h.t.clock.set("2026-11-29T00:00:01+08:00");
    await h.wechat.send(outbound(li.contact.id, "通知三"));
    expect(li.inbox).toEqual(["通知一", "通知二", "通知三"]);
  });

  it("counts what was already sent today before a restart against the cap", async () => {
    const now = new Date("2026-11-28T15:00:00+08:00").getTime();
    h = await startWechat(
      { WECHATY_DAILY_CAP: "3", WECHATY_MIN_GAP_MS: "1" },
      {
        now: "2026-11-28T15:00:00+08:00",
        pacing: { jitterMs: 0 },
        async beforeStart(t) {
          await t.sql.run(
            `INSERT INTO "Resident" (id, channel, channelUserId, createdAt, lastSeenAt) VALUES ('r-1', 'wechat', 'wxid_earlier', ?, ?)`,
            now,
            now,
          );
          const sentAt = (hoursAgo: number) => now - hoursAgo * 3_600_000;
          const rows = [
            { status: "sent", at: sentAt(2) }, // this morning
            { status: "unknown", at: sentAt(1) }, // may have gone out: counts
            { status: "sent", at: sentAt(20) }, // yesterday: does not count
            { status: "failed", at: sentAt(1) }, // surely not sent: does not count
          ];
          for (const [i, row] of rows.entries()) {
            await t.sql.run(
              `INSERT INTO "Delivery" (id, dedupeKey, residentId, channel, kind, text, status, notBefore, createdAt, updatedAt, sentAt)
               VALUES (?, ?, 'r-1', 'wechat', 'reminder', '…', ?, ?, ?, ?, ?)`,
              `d-${i}`,
              `k-${i}`,
              row.status,
              row.at,
              row.at,
              row.at,
              row.status === "sent" ? row.at : null,
            );
          }
        },
      },
    );
    const li = h.resident("李四");
    await h.wechat.send(outbound(li.contact.id, "今天的第三条"));
    const capped = await rejection(h.wechat.send(outbound(li.contact.id, "第四条")));
    expect(capped.retryable).toBe(true);
    expect(li.inbox).toEqual(["今天的第三条"]);
  });
});
