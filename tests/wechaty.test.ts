import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { types } from "wechaty";
import type { PuppetMock } from "wechaty-puppet-mock";
import type { WechatChannel } from "../src/channels/wechaty/adapter.ts";
import { GROUP_PRIVATE_INVITE, renderTurn } from "../src/channels/wechaty/render.ts";
import { orderedId } from "../src/domain/ids.ts";
import { createTestApp } from "./helpers/app.ts";
import { BOT_NAME, harness, roomLog, startWechat, WAIT, type WechatHarness } from "./wechaty-harness.ts";

const PLEASE_TYPE = /用文字把问题打出来/;

describe("WeChat private chat through the real Wechaty API (mock puppet)", () => {
  let h: WechatHarness;
  beforeAll(async () => {
    // A fixed day, so the move-in date in the flow below is recent.
    h = await startWechat({}, { now: "2026-11-28T10:00:00+08:00" });
  });
  afterAll(async () => {
    await h.close();
  });

  it("greets with a numbered menu, and a number selects from it", async () => {
    const li = h.resident("李四");
    const [greeting] = await li.ask("你好");
    expect(greeting).toContain("甬居助手");
    expect(greeting).toContain("1. 居住证怎么办");
    expect(greeting).toContain("5. 转人工");
    expect(greeting).toContain("回复数字即可选择");

    // "5" is the fifth option, 转人工: the resident is handed to staff, not misunderstood.
    const replies = await li.ask("5");
    expect(replies.join("\n")).not.toMatch(/没太看懂/);
    expect(replies.join("\n")).toMatch(/工作人员/);
  });

  it("answers a catalogue question with its source, and a number picks a suggested next step", async () => {
    const zhou = h.resident("周九");
    const [answer] = await zhou.ask("居住证怎么续签");
    expect(answer).toContain("签注");
    expect(answer?.match(/来源：《居住证签注（续签）》/g)).toHaveLength(1);
    expect(answer).toContain("1. 我要签注");
    expect(answer).toContain("回复数字即可选择");
    const [consent] = await zhou.ask("1");
    expect(consent).toContain("居住证签注");
    expect(consent).toContain("您同意吗");
  });

  it("completes 居住登记申报 by typing and by numbers, and the application reaches staff", async () => {
    const li = h.resident("李四");
    const [consent] = await li.ask("我要登记");
    expect(consent).toContain("居住登记申报");
    expect(consent).toContain("1. 同意\n2. 不同意");
    expect(await li.ask("1")).toEqual(["请问您的姓名是？（和身份证上一致）"]);
    expect((await li.ask("李四"))[0]).toContain("身份证号");
    expect((await li.ask("330203199001011236"))[0]).toContain("手机号");
    const [district] = await li.ask("13812345678");
    expect(district).toContain("5. 鄞州区");
    expect((await li.ask("5"))[0]).toContain("详细住址");
    expect((await li.ask("首南街道天童社区 天童南路88号3幢501室"))[0]).toContain("哪天搬进");
    const [housing] = await li.ask("2026-11-20");
    expect(housing).toContain("1. 租房");
    expect((await li.ask("1"))[0]).toContain("房东");
    const [summary] = await li.ask("跳过");
    expect(summary).toContain("· 所在区县（市）：鄞州区");
    expect(summary).toContain("330203********1236"); // the ID number is never shown in full
    expect(summary).not.toContain("330203199001011236");
    expect(summary).toContain("1. 确认提交");
    const [done] = await li.ask("1");
    expect(done).toContain("已提交");
    const reference = /申请编号：(\S+?)（/.exec(done ?? "")?.[1] ?? "";
    const application = await h.t.sql.get(`SELECT type, status FROM "Application" WHERE reference = ?`, reference);
    expect(application).toMatchObject({ type: "address_report", status: "pending" });
  });

  it("asks residents to type when they send images, voice, video, files, locations, links or stickers", async () => {
    const wang = h.resident("王五");
    const kinds = [
      types.Message.Image,
      types.Message.Audio,
      types.Message.Video,
      types.Message.Attachment,
      types.Message.Location,
      types.Message.Url,
      types.Message.Emoticon,
      types.Message.MiniProgram,
    ];
    for (const kind of kinds) {
      const before = wang.inbox.length;
      wang.sendOfType(kind);
      const [reply] = await h.repliesTo(() => wang.inbox, before);
      expect(reply, types.Message[kind]).toMatch(PLEASE_TYPE);
    }
    // The transcript shows what kind of message it was, for staff reading it later.
    const inbound = await h.t.sql.all<{ text: string }>(
      `SELECT m.text FROM "Message" m JOIN "Resident" r ON r.id = m.residentId
       WHERE r.channel = 'wechat' AND r.channelUserId = ? AND m.direction = 'in' ORDER BY m.id`,
      wang.contact.id,
    );
    expect(inbound.map((m) => m.text)).toEqual([
      "[图片]",
      "[语音]",
      "[视频]",
      "[文件]",
      "[位置]",
      "[链接]",
      "[表情]",
      "[其他消息]",
    ]);
  });

  it("stays silent on recalled messages and system notices, and never answers itself", async () => {
    const zhao = h.resident("赵六");
    zhao.sendOfType(types.Message.Recalled);
    zhao.sendOfType(types.Message.Unknown);
    // The assistant's own message (sent from the phone, or echoed back by the puppet).
    h.account.say("这是运营人员从手机上发的消息").to(zhao.contact);
    const replies = await zhao.ask("谢谢");
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(/不客气/);
    // Only the assistant's own message and the answer to 谢谢 reached 赵六.
    expect(zhao.inbox).toEqual(["这是运营人员从手机上发的消息", replies[0]]);
  });

  it("answers a message id delivered twice only once (a backlog after reconnecting)", async () => {
    const qian = h.resident("钱七");
    const before = qian.inbox.length;
    const msg = h.mocker.MessageMock.create({
      id: "backlog-1",
      talkerId: qian.contact.id,
      listenerId: h.account.id,
      timestamp: Date.now(),
      type: types.Message.Text,
      text: "你好",
    });
    h.puppet.emit("message", { messageId: msg.id });
    await h.repliesTo(() => qian.inbox, before);
    h.puppet.emit("message", { messageId: msg.id });
    const after = await qian.ask("谢谢");
    expect(after).toHaveLength(1);
    expect(qian.inbox.filter((t) => t.includes("欢迎来到宁波"))).toHaveLength(1);
  });

  it("shows the login QR code to staff while waiting for a scan, and the account once logged in", async () => {
    const status = h.wechat.status();
    expect(status).toMatchObject({ loggedIn: true, user: BOT_NAME });
    expect(status.qr).toBeUndefined();
    expect(h.t.ctx.wechatStatus).toBeUndefined(); // set by buildApp only when WECHATY_PUPPET is configured
  });
});

describe("WeChat group chats", () => {
  let h: WechatHarness;
  beforeAll(async () => {
    h = await startWechat();
  });
  afterAll(async () => {
    await h.close();
  });

  it("ignores group messages unless the assistant is @-mentioned, then answers in the group", async () => {
    const li = h.resident("李四");
    const wang = h.resident("王五");
    const room = h.mocker.createRoom({ topic: "宁波老乡群", memberIdList: [h.account.id, li.contact.id, wang.contact.id] });
    const said = roomLog(room, h.account);

    wang.contact.say("大家好，周末一起吃饭？").to(room);
    li.contact.say("你好").to(room);
    const image = h.mocker.MessageMock.create({
      id: "room-image",
      talkerId: wang.contact.id,
      roomId: room.id,
      timestamp: Date.now(),
      type: types.Message.Image,
    });
    h.puppet.emit("message", { messageId: image.id });
    li.contact.say(`@${BOT_NAME} 你好`, [h.account]).to(room);
    const replies = await h.repliesTo(() => said, 0);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain(`@李四`);
    expect(replies[0]).toContain("欢迎来到宁波");
    // Nothing was said privately, and the unmentioned chatter never reached the transcript.
    expect(li.inbox).toEqual([]);
    const texts = (await h.t.sql.all<{ text: string }>(`SELECT text FROM "Message" WHERE direction = 'in' ORDER BY id`)).map(
      (m) => m.text,
    );
    expect(texts).toEqual(["你好"]);
  });

  it("never collects personal data in a group: it invites the resident to a private chat", async () => {
    const zhang = h.resident("张三");
    const room = h.mocker.createRoom({ topic: "鄞州租房群", memberIdList: [h.account.id, zhang.contact.id] });
    const said = roomLog(room, h.account);
    zhang.contact.say(`@${BOT_NAME} 我要登记`, [h.account]).to(room);
    const [reply] = await h.repliesTo(() => said, 0);
    expect(reply).toContain("@张三");
    expect(reply).toContain("私聊");
    expect(reply).not.toMatch(/姓名是|身份证号|您同意吗/);
    // In the private chat the same resident can then start it.
    const [consent] = await zhang.ask("我要登记");
    expect(consent).toContain("您同意吗");
  });
});

describe("restarts", () => {
  it("does not answer again what was answered before a restart, when the puppet delivers it again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "yongju-wechat-"));
    try {
      const ids = { account: "wxid_yongju" };
      const first = await startWechat({}, { dir, ids });
      const databaseUrl = first.t.databaseUrl;
      const li = first.resident("李四", "wxid_lisi");
      const before = li.inbox.length;
      li.contact.say("你好").to(first.account);
      await first.repliesTo(() => li.inbox, before);
      const delivered = [...first.mocker.cacheMessagePayload.values()].find((m) => m.talkerId === "wxid_lisi");
      await first.close();

      // The service comes back; the puppet replays the last message as part of a backlog.
      const second = await startWechat({}, { dir, databaseUrl, ids });
      try {
        const again = second.resident("李四", "wxid_lisi");
        const replayed = second.mocker.MessageMock.create({ ...delivered!, id: delivered!.id });
        second.puppet.emit("message", { messageId: replayed.id });
        const replies = await again.ask("谢谢");
        expect(replies).toHaveLength(1);
        expect(replies[0]).toMatch(/不客气/);
        expect(again.inbox).toEqual(replies);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("friend requests", () => {
  let h: WechatHarness;
  beforeAll(async () => {
    h = await startWechat();
  });
  afterAll(async () => {
    await h.close();
  });

  function requestFriendship(puppet: PuppetMock, contactId: string, id: string): void {
    puppet.friendshipRawPayload = async (friendshipId: string) =>
      ({ id: friendshipId, contactId, hello: "我想问问居住证", type: types.Friendship.Receive, timestamp: Date.now() }) as never;
    puppet.emit("friendship", { friendshipId: id });
  }

  it("accepts a friend request and welcomes the new contact with the menu", async () => {
    const accepted: string[] = [];
    const accept = h.puppet.friendshipAccept.bind(h.puppet);
    h.puppet.friendshipAccept = async (id: string) => {
      accepted.push(id);
      await accept(id);
    };
    const sun = h.resident("孙八");
    requestFriendship(h.puppet, sun.contact.id, "fr-1");
    const [welcome] = await h.repliesTo(() => sun.inbox, 0);
    expect(accepted).toEqual(["fr-1"]);
    expect(welcome).toContain("欢迎来到宁波");
    expect(welcome).toContain("1. 居住证怎么办");
  });
});

describe("friend requests when WECHATY_ACCEPT_FRIENDS=false", () => {
  it("leaves the request for staff and says nothing", async () => {
    const h = await startWechat({ WECHATY_ACCEPT_FRIENDS: "false" });
    try {
      const accepted: string[] = [];
      h.puppet.friendshipAccept = async (id: string) => {
        accepted.push(id);
      };
      const sun = h.resident("孙八");
      h.puppet.friendshipRawPayload = async (friendshipId: string) =>
        ({
          id: friendshipId,
          contactId: sun.contact.id,
          hello: "",
          type: types.Friendship.Receive,
          timestamp: Date.now(),
        }) as never;
      h.puppet.emit("friendship", { friendshipId: "fr-2" });
      await sun.ask("你好");
      expect(accepted).toEqual([]);
      expect(sun.inbox).toHaveLength(1);
    } finally {
      await h.close();
    }
  });
});

describe("rendering for WeChat", () => {
  it("cites sources, numbers choices, and in a group never asks for personal data", () => {
    const answer = {
      conversationId: "c",
      handoff: false,
      replies: [
        {
          text: "居住证每年签注一次。",
          intent: "faq",
          sources: [{ id: "permit.endorsement", title: "居住证签注" }],
          choices: ["我要签注", "查进度"],
        },
      ],
    };
    expect(renderTurn(answer, false)).toEqual([
      "居住证每年签注一次。\n\n来源：《居住证签注》\n\n1. 我要签注\n2. 查进度\n（回复数字即可选择）",
    ]);
    const askingName = {
      conversationId: "c",
      handoff: false,
      replies: [{ text: "请问您的姓名是？", intent: "flow" }],
      awaiting: { slot: "name", type: "name" as const },
    };
    expect(renderTurn(askingName, true)).toEqual([GROUP_PRIVATE_INVITE]);
    expect(renderTurn(askingName, false)).toEqual(["请问您的姓名是？"]);
    expect(renderTurn({ ...askingName, awaiting: { slot: "d", type: "district" as const } }, true)).toEqual(["请问您的姓名是？"]);
  });
});

describe("configuration", () => {
  it("runs without WeChat when WECHATY_PUPPET is unset", async () => {
    const t = await createTestApp();
    try {
      expect(t.ctx.channels.has("wechat")).toBe(false);
      expect(t.ctx.wechatStatus).toBeUndefined();
      expect((await t.say("u-1", "你好")).replies[0]?.text).toContain("欢迎来到宁波");
    } finally {
      await t.close();
    }
  });

  it("with WECHATY_PUPPET=wechaty-puppet-mock a resident chats through the service's own channel", async () => {
    const t = await createTestApp({ WECHATY_PUPPET: "wechaty-puppet-mock" });
    try {
      const wechat = t.ctx.channels.get("wechat") as WechatChannel;
      expect(wechat.capabilities).toEqual({ buttons: false, idempotent: false, minGapMs: 4000 });
      const puppet = wechat.puppet as unknown as PuppetMock;
      expect(t.ctx.wechatStatus?.()).toEqual({ loggedIn: false });

      puppet.mocker.scan("https://login.weixin.qq.com/l/abc", types.ScanStatus.Waiting);
      await vi.waitFor(() => expect(t.ctx.wechatStatus?.().qr).toBe("https://login.weixin.qq.com/l/abc"), WAIT);
      expect(t.ctx.wechatStatus?.().qrUrl).toMatch(/^data:image\/png;base64,/);

      const account = puppet.mocker.createContact({ name: BOT_NAME });
      puppet.mocker.login(account);
      await vi.waitFor(() => expect(t.ctx.wechatStatus?.()).toEqual({ loggedIn: true, user: BOT_NAME }), WAIT);

      const h = harness(t, puppet.mocker, puppet, wechat, account);
      const zhou = h.resident("周九");
      const [reply] = await zhou.ask("你好");
      expect(reply).toContain("欢迎来到宁波");

      // A staff reply queued in the outbox reaches the resident's WeChat through the dispatcher.
      const resident = (await t.sql.get<{ id: string }>(
        `SELECT id FROM "Resident" WHERE channel = 'wechat' AND channelUserId = ?`,
        zhou.contact.id,
      ))!;
      const id = orderedId();
      await t.ctx.store.apply(
        [
          {
            type: "delivery.enqueue",
            delivery: {
              id,
              residentId: resident.id,
              channel: "wechat",
              kind: "staff",
              text: "您好，我是社区的小王，您的问题我来解答。",
              dedupeKey: "staff:test-1",
            },
          },
        ],
        t.clock.now(),
      );
      await t.ctx.dispatcher.drain();
      expect(zhou.inbox.at(-1)).toBe("您好，我是社区的小王，您的问题我来解答。");
      expect((await t.sql.get<{ status: string }>(`SELECT status FROM "Delivery" WHERE id = ?`, id))?.status).toBe("sent");
    } finally {
      await t.close();
    }
  });
});
