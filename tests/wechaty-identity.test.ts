/**
 * WeChat over time, through the real Wechaty API (mock puppet): a resident is the same person
 * after a re-login that changed every contact id (as wechat4u does); broadcasts go only to
 * residents the account can write to; while logged out nothing uses up attempts, and what waited
 * goes as soon as the account is back.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { bearer, staffToken } from "./helpers/staff.ts";
import { BOT_NAME, roomLog, startWechat, WAIT, type WechatHarness } from "./wechaty-harness.ts";

let h: WechatHarness | undefined;
afterEach(async () => {
  await h?.t.ctx.dispatcher.stop();
  await h?.close();
  h = undefined;
});

const residentRow = (harness: WechatHarness, userId: string) =>
  harness.t.sql.get<{ id: string; reachable: boolean; contactKey: string | null }>(
    `SELECT id, reachable, contactKey FROM "Resident" WHERE channel = 'wechat' AND channelUserId = ?`,
    userId,
  );
const aliasOf = (harness: WechatHarness, contactId: string) =>
  (harness.mocker.contactPayload(contactId) as { alias?: string }).alias;

describe("a resident across re-logins that change contact ids", () => {
  it("keeps their identity: their applications and reminders still find them", async () => {
    h = await startWechat({ WECHATY_MIN_GAP_MS: "1" }, { now: "2026-11-28T10:00:00+08:00", pacing: { jitterMs: 0 } });
    const zhang = h.resident("张三", "session1-zhang");
    await zhang.ask("你好");

    // The assistant marked the contact's remark with the resident's key.
    const before = await residentRow(h, "session1-zhang");
    expect(before?.contactKey).toMatch(/^YJ[2-9A-HJ-NP-Z]{8}$/);
    expect(aliasOf(h, "session1-zhang")).toBe(`张三#${before?.contactKey}`);

    // An application and a permit whose reminder is due, as the resident's own.
    await h.t.sql.run(
      `INSERT INTO "Application" (id, reference, type, status, residentId, data, createdAt, updatedAt)
       VALUES (?, 'YJ20261128-ZZZZ', 'address_report', 'pending', ?, '{}', ?, ?)`,
      randomUUID(),
      before?.id,
      h.t.clock.now(),
      h.t.clock.now(),
    );
    const reviewer = await staffToken(h.t, "reviewer");
    const permits = await h.t.app.inject({
      method: "POST",
      url: "/api/v1/staff/permits",
      headers: bearer(reviewer),
      payload: [
        {
          channel: "wechat",
          userId: "session1-zhang",
          permitNumber: "NB2026000777",
          holderName: "张三",
          endorseBy: "2026-12-05",
        },
      ],
    });
    expect(permits.statusCode).toBe(200);

    // Logged out and in again: every contact id changed, the remark stayed.
    const [zhangNow] = await h.reloginWithNewIds([zhang]);
    expect(zhangNow?.contact.id).toBe("session1-zhang-next");

    const [status] = await zhangNow!.ask("查进度");
    expect(status).toContain("YJ20261128-ZZZZ");
    // Still one resident, the same one.
    expect(await h.t.sql.all(`SELECT id FROM "Resident" WHERE channel = 'wechat'`)).toEqual([{ id: before?.id }]);

    // The reminder goes to the contact under its new id.
    const scan = await h.t.app.inject({ method: "POST", url: "/api/v1/staff/reminders/run", headers: bearer(reviewer) });
    expect(scan.json()).toMatchObject({ queued: 1 });
    const inboxBefore = zhangNow!.inbox.length;
    await h.t.ctx.dispatcher.drain();
    expect(zhangNow!.inbox.slice(inboxBefore)).toEqual([expect.stringContaining("签注")]);
    const delivery = await h.t.sql.get<{ status: string }>(`SELECT status FROM "Delivery" WHERE kind = 'reminder'`);
    expect(delivery?.status).toBe("sent");
  });

  it("keeps a remark staff wrote in front of the mark, and adopts a mark no resident has yet", async () => {
    h = await startWechat();
    const li = h.resident("李四", "session1-li", { alias: "房东介绍的李师傅" });
    await li.ask("你好");
    const row = await residentRow(h, "session1-li");
    expect(aliasOf(h, "session1-li")).toBe(`房东介绍的李师傅#${row?.contactKey}`);

    // A contact already marked (say, by a database restored from before the mark was stored).
    const wang = h.resident("王五", "session1-wang", { alias: "王五#YJ23456789" });
    await wang.ask("你好");
    expect((await residentRow(h, "session1-wang"))?.contactKey).toBe("YJ23456789");
    expect(aliasOf(h, "session1-wang")).toBe("王五#YJ23456789");
  });
});

describe("broadcasts on WeChat", () => {
  it("go only to residents the account can write to, not to people met only in a group", async () => {
    h = await startWechat();
    const admin = await staffToken(h.t, "admin");
    const broadcast = (dryRun: boolean) =>
      h!.t.app.inject({
        method: "POST",
        url: "/api/v1/staff/broadcasts",
        headers: bearer(admin),
        payload: { text: "【通知】本周六社区服务中心照常办理居住证业务。", audience: { channel: "wechat" }, dryRun },
      });

    const li = h.resident("李四"); // a friend, writes privately
    await li.ask("你好");
    const wang = h.resident("王五", undefined, { friend: false }); // only in the group
    const zhao = h.resident("赵六"); // a friend, writes in the group
    const room = h.mocker.createRoom({
      topic: "宁波老乡群",
      memberIdList: [h.account.id, li.contact.id, wang.contact.id, zhao.contact.id],
    });
    const said = roomLog(room, h.account);
    wang.contact.say(`@${BOT_NAME} 居住证怎么续签`, [h.account]).to(room);
    await h.repliesTo(() => said, 0);
    zhao.contact.say(`@${BOT_NAME} 居住证怎么续签`, [h.account]).to(room);
    await h.repliesTo(() => said, 1);

    expect((await residentRow(h, wang.contact.id))?.reachable).toBe(false);
    expect((await residentRow(h, zhao.contact.id))?.reachable).toBe(true);
    // The account cannot remark a stranger; a friend met in the group is marked.
    expect(aliasOf(h, wang.contact.id)).toBeUndefined();
    expect(aliasOf(h, zhao.contact.id)).toMatch(/#YJ/);

    expect((await broadcast(true)).json()).toMatchObject({ recipients: 2 });
    const sent = await broadcast(false);
    expect(sent.json()).toMatchObject({ recipients: 2 });
    const to = await h.t.sql.all<{ channelUserId: string }>(
      `SELECT r.channelUserId FROM "Delivery" d JOIN "Resident" r ON r.id = d.residentId WHERE d.kind = 'broadcast' ORDER BY r.channelUserId`,
    );
    expect(to.map((r) => r.channelUserId).sort()).toEqual([li.contact.id, zhao.contact.id].sort());

    // Once 王五 adds the account and writes privately, the account can reach them.
    h.mocker.contactPayload(wang.contact.id, { ...(h.mocker.contactPayload(wang.contact.id) as object), friend: true } as never);
    await wang.ask("你好");
    expect((await residentRow(h, wang.contact.id))?.reachable).toBe(true);
    expect((await broadcast(true)).json()).toMatchObject({ recipients: 3 });
  });
});

describe("proactive messages while the account is logged out", () => {
  it("use up no attempts however long it lasts, and go as soon as the account logs in again", async () => {
    // 1.5 s between proactive sends: long enough to log out while one is claimed and waiting.
    h = await startWechat({ WECHATY_MIN_GAP_MS: "1500" }, { pacing: { jitterMs: 0 } });
    const li = h.resident("李四");
    await li.ask("你好");
    const residentId = (await residentRow(h, li.contact.id))?.id as string;
    await h.t.ctx.store.apply(
      [1, 2, 3].map((n) => ({
        type: "delivery.enqueue" as const,
        delivery: { residentId, channel: "wechat" as const, kind: "notice" as const, text: `通知${n}`, dedupeKey: `test:${n}` },
      })),
      h.t.clock.now(),
    );
    const rows = () =>
      h!.t.sql.all<{ text: string; status: string; attempts: number }>(
        `SELECT text, status, attempts FROM "Delivery" ORDER BY text`,
      );

    h.t.ctx.dispatcher.start();
    await vi.waitFor(() => expect(li.inbox).toContain("通知1"), WAIT);
    // The next one is claimed and waiting for its turn: the account logs out now.
    await vi.waitFor(async () => expect((await rows()).some((r) => r.status === "sending")).toBe(true), WAIT);
    await h.puppet.logout("账号在其他设备登录");
    await vi.waitFor(async () => expect((await rows()).filter((r) => r.status === "pending")).toHaveLength(2), WAIT);

    // Hours pass (the dispatcher keeps polling): nothing is claimed, nothing uses up an attempt.
    for (let hour = 0; hour < 6; hour++) {
      h.t.clock.advance(3_600_000);
      await h.t.ctx.dispatcher.runOnce();
    }
    expect(await rows()).toEqual([
      { text: "通知1", status: "sent", attempts: 1 },
      { text: "通知2", status: "pending", attempts: 0 },
      { text: "通知3", status: "pending", attempts: 0 },
    ]);
    expect(li.inbox.filter((t) => t.startsWith("通知"))).toEqual(["通知1"]);

    // Back in: the waiting messages go at once (no backoff to wait out), each with one attempt.
    h.mocker.login(h.account);
    await vi.waitFor(() => expect(li.inbox.filter((t) => t.startsWith("通知"))).toEqual(["通知1", "通知2", "通知3"]), WAIT);
    await vi.waitFor(async () => expect((await rows()).every((r) => r.status === "sent" && r.attempts === 1)).toBe(true), WAIT);
  });
});
