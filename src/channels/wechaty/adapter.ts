import { randomInt } from "node:crypto";
import { chmodSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import {
  type Contact,
  type Friendship,
  type Message,
  ScanStatus,
  type Wechaty,
  WechatyBuilder,
  type WechatyOptions,
  qrcodeValueToImageUrl,
  types,
  log as wechatyLog,
} from "wechaty";
import type { AppContext } from "../../context.ts";
import { type ChannelAdapter, DeliveryError, type OutboundMessage } from "../../dialog/channel.ts";
import type { MessageKind } from "../../domain/types.ts";
import { KeyedQueue } from "../../lib/keyed-queue.ts";
import { MAX_TEXT_LENGTH } from "../../lib/text.ts";
import { qrAsDataUrl, qrForTerminal } from "./qr.ts";
import { KIND_PLACEHOLDER, renderTurn } from "./render.ts";
import { endOfLocalDay, localDate as localDay, startOfLocalDay } from "../../lib/local-time.ts";
import { PacedQueue } from "./send-queue.ts";

/** What the staff console's channel screen shows. */
export type WechatStatus = ReturnType<NonNullable<AppContext["wechatStatus"]>>;

/** A Wechaty puppet instance (tests pass a PuppetMock). */
export type WechatyPuppet = Wechaty["puppet"];

export interface WechatChannelOptions {
  /** Use this puppet instead of loading the module named by WECHATY_PUPPET. */
  puppet?: WechatyPuppet;
  /** Draw the login QR code on the terminal; default: unless LOG_LEVEL is silent. */
  printQr?: boolean;
  reconnect?: {
    /** First reconnect delay; it doubles per failed attempt up to `maxMs`. */
    baseMs?: number;
    maxMs?: number;
    /** After a (re)start with neither a login nor a QR code in this time, start again. */
    loginTimeoutMs?: number;
  };
  pacing?: { jitterMs?: number; random?: () => number };
}

/** The longest a single send may take before it counts as failed (and possibly delivered). */
const SEND_TIMEOUT_MS = 30_000;
/** WeChat's own system accounts (team notices, file transfer): never answered. */
const SYSTEM_CONTACTS = new Set(["weixin", "filehelper", "fmessage", "medianote", "floatbottle"]);
const SORRY = "抱歉，系统开了个小差 🙏 请稍后再发一次，或者说“转人工”。";

/**
 * The assistant's mark at the end of a contact's remark (alias): "#YJ" and eight characters. The
 * remark is kept by WeChat across logins, while some puppets (wechat4u) give a contact a new id at
 * every login; the mark finds the resident again. Eight characters from 32 (no 0/O, 1/I).
 */
const CONTACT_MARK = /#(YJ[2-9A-HJ-NP-Z]{8})$/;
const KEY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const newContactKey = () => `YJ${Array.from({ length: 8 }, () => KEY_ALPHABET[randomInt(KEY_ALPHABET.length)]).join("")}`;
/** The part of a remark kept before the mark (staff may have written a name there). */
const REMARK_PREFIX_CHARS = 12;

/**
 * The WeChat channel through Wechaty. The puppet (how Wechaty reaches WeChat) is chosen by
 * WECHATY_PUPPET; the session lives in the data directory. Inbound messages go to the engine and
 * are answered at once; proactive messages are paced through one queue with a daily cap.
 * Nothing here may take the service down: every puppet event handler catches its errors, a lost
 * login reconnects with backoff, and unhandled rejections from puppet code are logged, not fatal.
 */
export class WechatChannel implements ChannelAdapter {
  readonly id = "wechat" as const;
  readonly capabilities: ChannelAdapter["capabilities"];
  private readonly log: Logger;
  private bot: Wechaty | undefined;
  private queue: PacedQueue;
  private readonly lanes = new KeyedQueue();
  private readonly inflight = new Set<Promise<void>>();
  private state: WechatStatus = { loggedIn: false };
  private stopped = true;
  private restarting = false;
  private attempt = 0;
  /** Bumped on every login and logout: a QR code rendered across one of them is stale. */
  private epoch = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private loginTimer: NodeJS.Timeout | undefined;
  /** This login's contact ids by contact key (ids may change at the next login). */
  private contactIds = new Map<string, string>();
  /** Contacts whose remark this login already tried to mark (a puppet may not support remarks). */
  private marked = new Set<string>();
  private lifecycle: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: AppContext,
    private readonly options: WechatChannelOptions = {},
  ) {
    this.log = ctx.log.child({ channel: "wechat" });
    this.capabilities = { buttons: false, idempotent: false, minGapMs: ctx.config.WECHATY_MIN_GAP_MS };
    this.queue = this.newQueue();
  }

  /** Connects the puppet; resolves once it has started (logging in may need a scan later). Never throws. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.queue = this.newQueue();
    rejectionGuard.add(this.log);
    if (!process.env.WECHATY_LOG) wechatyLog.level(this.ctx.config.LOG_LEVEL === "silent" ? "silent" : "warn");
    await this.seedDailyCount();
    await this.serial(() => this.connect());
  }

  /** Stops taking work, lets messages being answered finish, then stops the puppet. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.loginTimer);
    this.reconnectTimer = undefined;
    this.queue.close();
    await this.idle();
    await this.serial(async () => {
      try {
        await this.bot?.stop();
      } catch (err) {
        this.log.warn({ error: errorMessage(err) }, "wechat: error while stopping the puppet");
      }
    });
    // Messages that arrived while the puppet was stopping are still recorded and answered if possible.
    await this.idle();
    this.protectSession();
    this.state = withoutUndefined({ ...this.state, loggedIn: false, qr: undefined, qrUrl: undefined });
    rejectionGuard.remove(this.log);
  }

  /** Resolves once no inbound message or friend request is being handled. */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  status(): WechatStatus {
    return { ...this.state };
  }

  /** The outbox sends nothing here while the puppet is stopped or logged out (no attempts used up). */
  ready(): boolean {
    return !this.stopped && this.state.loggedIn;
  }

  /** The running puppet, when there is one (tests reach the mock puppet's mocker through it). */
  get puppet(): WechatyPuppet | undefined {
    try {
      return this.bot?.puppet;
    } catch {
      return undefined;
    }
  }

  /**
   * Queues a proactive message; resolves once it was handed to WeChat. A retryable DeliveryError
   * means it surely did not go out (not logged in, not a contact, stopping, or the daily cap: then
   * a DailyCapReached carrying `retryAt`); a non-retryable one means the send failed half-way and
   * may have arrived.
   */
  async send(message: OutboundMessage): Promise<void> {
    if (this.stopped) throw new DeliveryError("the WeChat channel is not running", true);
    if (!this.state.loggedIn) throw new DeliveryError("the WeChat account is not logged in", true);
    await this.queue.enqueue(() => this.deliver(message));
  }

  private async deliver(message: OutboundMessage): Promise<void> {
    const bot = this.bot;
    if (!bot || !this.state.loggedIn) throw new DeliveryError("the WeChat account is not logged in", true);
    let contact: Contact | undefined;
    try {
      contact = await this.findContact(bot, message.userId);
    } catch (err) {
      throw new DeliveryError(`could not look up the WeChat contact: ${errorMessage(err)}`, true);
    }
    if (!contact) throw new DeliveryError("the resident is not (or no longer) a contact of this WeChat account", true);
    try {
      await withTimeout(contact.say(message.text), SEND_TIMEOUT_MS);
    } catch (err) {
      throw new DeliveryError(`WeChat send failed; the message may or may not have arrived: ${errorMessage(err)}`, false);
    }
    this.log.info({ deliveryId: message.id, kind: message.kind }, "wechat: proactive message sent");
  }

  /**
   * The contact of a resident: by the key in their remark when they have one (their id may be
   * from an earlier login), else by the id they were first met with (stable on most puppets).
   */
  private async findContact(bot: Wechaty, userId: string): Promise<Contact | undefined> {
    const key = await this.ctx.store.residents.contactKeyOf("wechat", userId);
    if (key) {
      const known = this.contactIds.get(key);
      const contact = known ? await bot.Contact.find({ id: known }) : await bot.Contact.find({ alias: new RegExp(`#${key}$`) });
      if (contact) {
        this.contactIds.set(key, contact.id);
        return contact;
      }
    }
    return bot.Contact.find({ id: userId });
  }

  /**
   * Who a contact is, across logins: the resident whose key their remark carries, else the
   * contact id (the resident's key from their first message on). `mark` is the key in the
   * remark, if any.
   */
  private async residentOf(contact: Contact): Promise<{ userId: string; mark: string | undefined; alias: string | undefined }> {
    let alias: string | undefined;
    try {
      alias = (await contact.alias()) ?? undefined;
    } catch {
      alias = undefined;
    }
    const mark = alias ? CONTACT_MARK.exec(alias)?.[1] : undefined;
    if (mark) {
      const userId = await this.ctx.store.residents.byContactKey("wechat", mark);
      if (userId) {
        this.contactIds.set(mark, contact.id);
        return { userId, mark, alias };
      }
    }
    return { userId: contact.id, mark, alias };
  }

  /**
   * After a turn: records whether the account can write to the resident (broadcasts only go to
   * those it can), and marks a friend's remark with the resident's key so they are recognised
   * after a re-login. Best effort: a failure here never affects the answer already sent.
   */
  private async afterTurn(
    contact: Contact,
    who: { userId: string; mark: string | undefined; alias: string | undefined },
    reachable: boolean,
  ): Promise<void> {
    const residents = this.ctx.store.residents;
    try {
      await residents.setReachable("wechat", who.userId, reachable);
      if (!reachable || this.marked.has(contact.id)) return;
      this.marked.add(contact.id);
      // A mark no resident has (a database restored from before it was written) is taken over.
      const key = await residents.ensureContactKey("wechat", who.userId, who.mark ?? newContactKey(), newContactKey);
      if (!key || key === who.mark) return;
      const prefix = [...(who.alias ?? "").replace(CONTACT_MARK, "").trim()].slice(0, REMARK_PREFIX_CHARS).join("");
      await contact.alias(`${prefix || [...(contact.name() ?? "")].slice(0, REMARK_PREFIX_CHARS).join("")}#${key}`);
      this.contactIds.set(key, contact.id);
    } catch (err) {
      this.log.warn({ error: errorMessage(err) }, "wechat: could not record the contact's reachability or mark");
    }
  }

  // ---- connection lifecycle -------------------------------------------------------------

  private async connect(): Promise<void> {
    if (this.stopped) return;
    try {
      // A bot whose puppet could not even be created cannot be started again: build a new one.
      if (this.bot && !hasPuppet(this.bot)) this.bot = undefined;
      this.bot ??= this.build();
      await this.bot.start();
      this.log.info({ puppet: this.puppetName() }, "wechat: puppet started");
      this.watchForLogin();
    } catch (err) {
      this.recordError(err);
      const missing = (err as { code?: string } | null)?.code === "ERR_MODULE_NOT_FOUND";
      this.log.error(
        { puppet: this.puppetName(), error: errorMessage(err) },
        missing ? `wechat: puppet module not installed (npm i ${this.puppetName()})` : "wechat: puppet failed to start",
      );
      this.scheduleReconnect("start failed");
    }
  }

  private build(): Wechaty {
    const options = {
      // Wechaty keeps the session (memory card) in <name>.memory-card.json: in the data directory.
      name: join(this.ctx.config.dataDir, "wechat"),
      puppet: this.options.puppet ?? this.ctx.config.WECHATY_PUPPET,
    } as WechatyOptions;
    const bot = WechatyBuilder.build(options);
    bot.on("scan", (qr, status) => this.track(this.onScan(qr, status)));
    bot.on("login", (user) => this.onLogin(user));
    bot.on("logout", (_user, reason) => this.onLogout(reason));
    bot.on("error", (err) => this.onError(err));
    bot.on("message", (message) => this.track(this.onMessage(message)));
    bot.on("friendship", (friendship) => this.track(this.onFriendship(friendship)));
    return bot;
  }

  private scheduleReconnect(reason: string): void {
    if (this.stopped || this.reconnectTimer) return;
    const base = this.options.reconnect?.baseMs ?? 2_000;
    const max = this.options.reconnect?.maxMs ?? 5 * 60_000;
    const delayMs = Math.round(Math.min(max, base * 2 ** this.attempt) * (0.8 + Math.random() * 0.4));
    this.attempt++;
    this.log.warn({ reason, attempt: this.attempt, delayMs }, "wechat: reconnecting");
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.serial(() => this.restart());
    }, delayMs);
    this.reconnectTimer.unref();
  }

  private async restart(): Promise<void> {
    // Logged in again, or showing a fresh QR code: the puppet recovered by itself.
    if (this.stopped || this.state.loggedIn || this.state.qr) return;
    this.restarting = true;
    try {
      if (this.bot && hasPuppet(this.bot)) await this.bot.stop();
    } catch (err) {
      this.log.warn({ error: errorMessage(err) }, "wechat: error while stopping the puppet for a restart");
    } finally {
      this.restarting = false;
    }
    await this.connect();
  }

  /** A puppet that neither logs in nor shows a QR code after starting is stuck: start it again. */
  private watchForLogin(): void {
    clearTimeout(this.loginTimer);
    this.loginTimer = setTimeout(() => {
      if (!this.stopped && !this.state.loggedIn && !this.state.qr) this.scheduleReconnect("no login and no QR code");
    }, this.options.reconnect?.loginTimeoutMs ?? 60_000);
    this.loginTimer.unref();
  }

  private async onScan(qr: string, status: ScanStatus): Promise<void> {
    if (status !== ScanStatus.Waiting && status !== ScanStatus.Timeout) {
      this.log.info({ scanStatus: ScanStatus[status] }, "wechat: login QR code status");
      if (status === ScanStatus.Confirmed) this.state = withoutUndefined({ ...this.state, qr: undefined, qrUrl: undefined });
      return;
    }
    const epoch = this.epoch;
    const qrUrl = (await qrAsDataUrl(qr)) ?? qrcodeValueToImageUrl(qr);
    if (epoch !== this.epoch || this.state.loggedIn || this.stopped) return;
    this.state = { ...this.state, loggedIn: false, qr, qrUrl };
    this.log.info("wechat: waiting for the login QR code to be scanned (also shown on the staff console)");
    if (this.options.printQr ?? this.ctx.config.LOG_LEVEL !== "silent") {
      const art = await qrForTerminal(qr);
      process.stdout.write(
        `\n${art ?? ""}\n请用运营用的微信扫码登录甬居助手 / Scan with WeChat to log in:\n${qrcodeValueToImageUrl(qr)}\n\n`,
      );
    }
  }

  private onLogin(user: Contact): void {
    this.epoch++;
    this.attempt = 0;
    clearTimeout(this.loginTimer);
    // Contact ids may have changed with the login (wechat4u): found again by their remarks.
    this.contactIds = new Map();
    this.marked = new Set();
    this.state = withoutUndefined({ ...this.state, loggedIn: true, user: user.name(), qr: undefined, qrUrl: undefined });
    this.log.info({ user: user.name() }, "wechat: logged in");
    this.protectSession();
    // What waited while logged out goes now, not at the next poll.
    this.ctx.dispatcher.kick();
  }

  private onLogout(reason: unknown): void {
    this.epoch++;
    const wasLoggedIn = this.state.loggedIn;
    this.state = { ...this.state, loggedIn: false };
    if (!wasLoggedIn) return;
    if (this.stopped || this.restarting) {
      this.log.info("wechat: logged out (stopping)");
      return;
    }
    this.log.warn({ reason: typeof reason === "string" ? reason.slice(0, 200) : undefined }, "wechat: logged out");
    this.scheduleReconnect("logout");
  }

  private onError(err: unknown): void {
    this.recordError(err);
    this.log.warn({ error: errorMessage(err) }, "wechat: puppet error");
    // Errors while logged in are mostly about one message or contact: the session itself is fine.
    // Logged out with no QR code waiting for a scan means the puppet is not getting anywhere.
    if (!this.stopped && !this.restarting && !this.state.loggedIn && !this.state.qr) this.scheduleReconnect("error");
  }

  // ---- inbound ---------------------------------------------------------------------------

  private async onMessage(message: Message): Promise<void> {
    if (message.self()) return;
    const kind = kindOf(message.type());
    if (!kind) return;
    const talker = message.talker();
    if (SYSTEM_CONTACTS.has(talker.id) || talker.type() === types.Contact.Official) return;
    const room = message.room();
    let text = kind === "text" ? message.text() : KIND_PLACEHOLDER[kind];
    if (room) {
      // In a group the assistant only speaks when spoken to, and only to text.
      if (kind !== "text" || !(await message.mentionSelf())) return;
      text = await message.mentionText();
    }
    this.log.debug({ kind, inGroup: Boolean(room) }, "wechat: inbound message");
    await this.lanes.run(talker.id, async () => {
      const who = await this.residentOf(talker);
      try {
        const result = await this.ctx.engine.handle({
          channel: "wechat",
          userId: who.userId,
          text: text.slice(0, MAX_TEXT_LENGTH),
          messageId: message.id,
          kind,
          displayName: talker.name() || undefined,
          inGroup: Boolean(room),
        });
        // A stored result replayed for a message id seen before (a backlog after a restart, a
        // puppet delivering twice) was answered then, not again now.
        if (result.duplicate) {
          this.log.info("wechat: message was already answered, not answering again");
          return;
        }
        for (const reply of renderTurn(result, Boolean(room))) {
          if (room) await room.say(reply, talker);
          else await talker.say(reply);
        }
      } catch (err) {
        this.log.error({ error: errorMessage(err) }, "wechat: could not answer a message");
        if (!room) await talker.say(SORRY).catch(() => undefined);
        return;
      }
      // Someone who writes privately is a friend; in a group, only a friend of the account is.
      await this.afterTurn(talker, who, !room || talker.friend() === true);
    });
  }

  private async onFriendship(friendship: Friendship): Promise<void> {
    if (friendship.type() !== types.Friendship.Receive) return;
    if (!this.ctx.config.WECHATY_ACCEPT_FRIENDS) {
      this.log.info("wechat: friend request received; WECHATY_ACCEPT_FRIENDS is off, leaving it for staff");
      return;
    }
    await friendship.accept();
    const contact = friendship.contact();
    this.log.info("wechat: friend request accepted");
    // The welcome is the engine's greeting, recorded in the transcript and with its menu
    // remembered so "1", "2" select from it; the friendship id makes it happen once.
    await this.lanes.run(contact.id, async () => {
      const who = await this.residentOf(contact);
      const result = await this.ctx.engine.handle({
        channel: "wechat",
        userId: who.userId,
        text: "你好",
        messageId: `friendship:${friendship.id}`,
        displayName: contact.name() || undefined,
      });
      if (!result.duplicate) for (const reply of renderTurn(result, false)) await contact.say(reply);
      await this.afterTurn(contact, who, true);
    });
  }

  // ---- helpers ---------------------------------------------------------------------------

  /**
   * The saved session logs the account in without a scan: readable by the service's user only,
   * whatever mode the puppet's library wrote it with (it is saved at login and at stop).
   */
  private protectSession(): void {
    const file = `${join(this.ctx.config.dataDir, "wechat")}.memory-card.json`;
    try {
      if (existsSync(file)) chmodSync(file, 0o600);
    } catch (err) {
      this.log.warn({ error: errorMessage(err) }, "wechat: could not make the saved session private");
    }
  }

  private newQueue(): PacedQueue {
    const { config, clock } = this.ctx;
    return new PacedQueue({
      minGapMs: config.WECHATY_MIN_GAP_MS,
      jitterMs: this.options.pacing?.jitterMs ?? Math.round(config.WECHATY_MIN_GAP_MS / 2),
      dailyCap: config.WECHATY_DAILY_CAP,
      dayOf: (now) => localDay(now, config.TZ),
      endOfDay: (now) => endOfLocalDay(now, config.TZ),
      now: () => clock.now(),
      ...(this.options.pacing?.random ? { random: this.options.pacing.random } : {}),
    });
  }

  /** Proactive messages already sent today (before a restart) count against the daily cap. */
  private async seedDailyCount(): Promise<void> {
    const now = this.ctx.clock.now();
    try {
      const sent = await this.ctx.store.outbox.countSentSince("wechat", startOfLocalDay(now, this.ctx.config.TZ));
      this.queue.seed(localDay(now, this.ctx.config.TZ), sent);
    } catch (err) {
      this.log.warn({ error: errorMessage(err) }, "wechat: could not count today's sends; the daily cap starts from zero");
    }
  }

  private track(task: Promise<void>): void {
    const tracked = task.catch((err) => {
      this.log.error({ error: errorMessage(err) }, "wechat: event handler failed");
    });
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
  }

  private serial(task: () => Promise<void>): Promise<void> {
    const next = this.lifecycle.then(task, task);
    this.lifecycle = next.catch(() => undefined);
    return next;
  }

  private recordError(err: unknown): void {
    this.state = { ...this.state, lastError: `${new Date(this.ctx.clock.now()).toISOString()} ${errorMessage(err)}` };
  }

  private puppetName(): string {
    return this.options.puppet ? "(instance)" : (this.ctx.config.WECHATY_PUPPET ?? "");
  }
}

/** The engine's kind for a WeChat message type; null for what needs no answer (system notices, recalls). */
function kindOf(type: types.Message): MessageKind | null {
  switch (type) {
    case types.Message.Text:
      return "text";
    case types.Message.Image:
      return "image";
    case types.Message.Audio:
      return "voice";
    case types.Message.Video:
      return "video";
    case types.Message.Attachment:
      return "file";
    case types.Message.Location:
      return "location";
    case types.Message.Url:
      return "link";
    case types.Message.Emoticon:
      return "sticker";
    case types.Message.MiniProgram:
    case types.Message.Contact:
    case types.Message.ChatHistory:
    case types.Message.Transfer:
    case types.Message.RedEnvelope:
      return "other";
    default:
      return null;
  }
}

function hasPuppet(bot: Wechaty): boolean {
  try {
    return Boolean(bot.puppet);
  } catch {
    return false;
  }
}

function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : typeof err === "string" ? err : JSON.stringify(err);
  return (text ?? "unknown error").slice(0, 300);
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from WeChat within ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Puppets run network code of their own (gRPC streams, long polls) that sometimes rejects a
 * promise nobody awaits. Such a rejection is logged instead of ending the process; any other
 * unhandled rejection keeps Node's default (a crash) unless someone else handles it.
 */
const rejectionGuard = {
  loggers: new Set<Logger>(),
  listener(reason: unknown): void {
    const trace = reason instanceof Error ? `${reason.message}\n${reason.stack ?? ""}` : String(reason);
    if (/wechaty|puppet|file-box|memory-card|grpc|state-switch|watchdog|brolog|gerror/i.test(trace)) {
      for (const log of rejectionGuard.loggers) {
        log.error({ error: errorMessage(reason) }, "wechat: unhandled rejection in puppet code (ignored)");
        break;
      }
      return;
    }
    if (process.listenerCount("unhandledRejection") === 1) throw reason;
  },
  add(log: Logger): void {
    if (this.loggers.size === 0) process.on("unhandledRejection", this.listener);
    this.loggers.add(log);
  },
  remove(log: Logger): void {
    this.loggers.delete(log);
    if (this.loggers.size === 0) process.off("unhandledRejection", this.listener);
  },
};
