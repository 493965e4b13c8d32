import type { EventEmitter } from "node:events";
import { expect, vi } from "vitest";
import { ScanStatus, type types } from "wechaty";
import { mock, PuppetMock } from "wechaty-puppet-mock";
import { WechatChannel, type WechatChannelOptions } from "../src/channels/wechaty/adapter.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";

type ContactMock = ReturnType<mock.Mocker["createContact"]>;
type RoomMock = ReturnType<mock.Mocker["createRoom"]>;
type MessageMock = InstanceType<mock.Mocker["MessageMock"]>;

/** What a mock contact or room sees; the mock's typed-emitter types do not resolve here. */
function onMessage(target: ContactMock | RoomMock, listener: (message: MessageMock) => void): void {
  (target as unknown as EventEmitter).on("message", listener);
}

export const BOT_NAME = "甬居助手";

/**
 * The mock puppet with one thing a real puppet does that the mock leaves out: a contact's remark
 * (alias) set through Wechaty is kept, as WeChat keeps it on its servers across logins. Everything
 * else is the mock's own.
 */
export class PuppetMockWithRemarks extends PuppetMock {
  override contactAlias(contactId: string): Promise<string>;
  override contactAlias(contactId: string, alias: string | null): Promise<void>;
  override async contactAlias(contactId: string, alias?: string | null): Promise<never> {
    const payload = this.mocker.contactPayload(contactId) as { alias?: string };
    if (alias === undefined) return (payload.alias ?? "") as never;
    this.mocker.contactPayload(contactId, { ...(payload as object), alias: alias ?? undefined } as never);
    return undefined as never;
  }
}
/** How long to wait for the mock WeChat to deliver something (generous: CI machines are busy). */
export const WAIT = { timeout: 10_000, interval: 10 };

/** A resident on the mocked WeChat: what they send goes through the real Wechaty API. */
export interface MockResident {
  contact: ContactMock;
  /** Private messages the assistant sent this resident, in order. */
  inbox: string[];
  /** Sends a private text message to the assistant (fire and forget, like a phone). */
  say(text: string): void;
  /** Sends a private message of another type (image, voice, location…); returns its id. */
  sendOfType(type: types.Message, id?: string): string;
  /** Says `text` and waits until the assistant has answered it completely; returns the new replies. */
  ask(text: string): Promise<string[]>;
}

export interface WechatHarness {
  t: TestApp;
  mocker: mock.Mocker;
  puppet: PuppetMock;
  wechat: WechatChannel;
  account: ContactMock;
  /** A WeChat user; `payload` sets e.g. `friend: false` (met only in a group) or a remark (`alias`). */
  resident(name: string, id?: string, payload?: { friend?: boolean; alias?: string }): MockResident;
  /**
   * Logs the account out and in again the way wechat4u does: every contact gets a new id, keeping
   * its name and the remark the account gave it. Returns the residents as they are now.
   */
  reloginWithNewIds(residents: MockResident[]): Promise<MockResident[]>;
  /** Waits until the assistant has sent `count` more messages (collected by `read`) and is idle. */
  repliesTo(read: () => string[], before: number, count?: number): Promise<string[]>;
  close(): Promise<void>;
}

/** Starts the channel on a fresh service with a mock puppet, logs the assistant's account in. */
export async function startWechat(
  env: Record<string, string> = {},
  options: Omit<WechatChannelOptions, "puppet"> & {
    /** Reuse this data directory and database (a restart of the same service). */
    dir?: string;
    databaseUrl?: string;
    now?: string;
    ids?: { account?: string };
    /** Runs on the fresh service before the channel starts (e.g. to seed the database). */
    beforeStart?: (t: TestApp) => Promise<void>;
  } = {},
): Promise<WechatHarness> {
  const { dir, databaseUrl, now, ids, beforeStart, ...channelOptions } = options;
  const t = await createTestApp(env, {
    ...(dir ? { dir } : {}),
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(now ? { now } : {}),
  });
  await beforeStart?.(t);
  const mocker = new mock.Mocker();
  const puppet = new PuppetMockWithRemarks({ mocker });
  const wechat = new WechatChannel(t.ctx, { printQr: false, ...channelOptions, puppet });
  t.ctx.channels.set("wechat", wechat);
  await wechat.start();
  const account = mocker.createContact({ name: BOT_NAME, ...(ids?.account ? { id: ids.account } : {}) });
  mocker.scan("https://login.weixin.qq.com/l/mock-qr", ScanStatus.Waiting);
  mocker.login(account);
  await vi.waitFor(() => expect(wechat.status().loggedIn).toBe(true), WAIT);
  return harness(t, mocker, puppet, wechat, account);
}

/** Wraps an already running channel whose mock puppet is `puppet` (e.g. created from WECHATY_PUPPET). */
export function harness(
  t: TestApp,
  mocker: mock.Mocker,
  puppet: PuppetMock,
  wechat: WechatChannel,
  account: ContactMock,
): WechatHarness {
  const h: WechatHarness = {
    t,
    mocker,
    puppet,
    wechat,
    account,
    resident(name, id, payload = {}) {
      const contact = mocker.createContact({ name, ...(id ? { id } : {}), ...payload });
      const inbox: string[] = [];
      onMessage(contact, (m) => {
        if (m.talker().id === account.id && !m.room()) inbox.push(m.text() ?? "");
      });
      const r: MockResident = {
        contact,
        inbox,
        say: (text) => contact.say(text).to(account),
        sendOfType(type, messageId) {
          const msg = mocker.MessageMock.create({
            id: messageId ?? `m-${Math.random().toString(36).slice(2)}`,
            talkerId: contact.id,
            listenerId: account.id,
            timestamp: Date.now(),
            type,
            text: "",
          });
          puppet.emit("message", { messageId: msg.id });
          return msg.id;
        },
        async ask(text) {
          const before = inbox.length;
          r.say(text);
          return h.repliesTo(() => inbox, before);
        },
      };
      return r;
    },
    async reloginWithNewIds(residents) {
      await puppet.logout("re-login");
      await vi.waitFor(() => expect(wechat.status().loggedIn).toBe(false), WAIT);
      const now: MockResident[] = [];
      for (const r of residents) {
        const old = mocker.contactPayload(r.contact.id) as { name: string; alias?: string; friend?: boolean };
        mocker.cacheContactPayload.delete(r.contact.id);
        now.push(
          h.resident(old.name, `${r.contact.id}-next`, {
            ...(old.alias ? { alias: old.alias } : {}),
            ...(old.friend !== undefined ? { friend: old.friend } : {}),
          }),
        );
      }
      mocker.login(account);
      await vi.waitFor(() => expect(wechat.status().loggedIn).toBe(true), WAIT);
      return now;
    },
    async repliesTo(read, before, count = 1) {
      await vi.waitFor(() => expect(read().length).toBeGreaterThanOrEqual(before + count), WAIT);
      await wechat.idle();
      return read().slice(before);
    },
    async close() {
      await wechat.stop();
      await t.close();
    },
  };
  return h;
}

/** Messages the assistant says in a room, in order. */
export function roomLog(room: RoomMock, account: ContactMock): string[] {
  const said: string[] = [];
  onMessage(room, (m) => {
    if (m.talker().id === account.id) said.push(m.text() ?? "");
  });
  return said;
}
