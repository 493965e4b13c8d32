import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import type Database from "better-sqlite3";
import type { Logger } from "pino";
import { type ClaimedDelivery, OutboxStore } from "../data/outbox.ts";
import { type ChannelAdapter, DeliveryError } from "../dialog/channel.ts";
import type { ChannelId } from "../dialog/types.ts";
import type { Clock } from "../lib/clock.ts";
import { isQuietTime, type QuietWindow } from "./quiet-hours.ts";

export interface DispatcherOptions {
  sql: Database.Database;
  /** Read live: adapters registered later (WeChat after login) are picked up on the next pass. */
  channels: Map<ChannelId, ChannelAdapter>;
  clock: Clock;
  log: Logger;
  quietHours: QuietWindow | null;
  timeZone: string;
  /** Attempts before a retryable failure becomes 'failed' (default 8). */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt up to maxRetryMs (defaults 30 s and 1 h). */
  retryBaseMs?: number;
  maxRetryMs?: number;
  /** Deliveries claimed per pass on a fast channel (default 100). */
  batchSize?: number;
  /** Parallel sends on a fast idempotent channel (default 8). */
  concurrency?: number;
  /** Background poll interval (default 1 s). */
  pollMs?: number;
  /** Waits between paced sends; injectable so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Delivers the outbox. Each channel has its own lane, so a slow channel (WeChat, paced) never
 * holds up a fast one (the api webhook). A pass claims due deliveries with one statement,
 * sends them and records the outcome:
 *
 * - sent → 'sent'; a retryable DeliveryError → back to 'pending' with exponential backoff, then
 *   'failed' after maxAttempts; a non-retryable error → 'failed' at once (lastError kept).
 * - During quiet hours only staff replies go (they answer the resident's own request);
 *   reminders, notices and broadcasts stay pending until the window ends.
 * - A channel that is not idempotent is claimed one delivery at a time, so at most one message
 *   can be in doubt after a crash; recover() marks it 'unknown' instead of resending it.
 */
export class Dispatcher {
  private readonly store: OutboxStore;
  private readonly lanes = new Map<ChannelId, Promise<number>>();
  private readonly again = new Set<ChannelId>();
  private readonly lastSendAt = new Map<ChannelId, number>();
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private stopping = false;
  private recovered = false;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly maxRetryMs: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: DispatcherOptions) {
    this.store = new OutboxStore(opts.sql);
    this.maxAttempts = opts.maxAttempts ?? 8;
    this.retryBaseMs = opts.retryBaseMs ?? 30_000;
    this.maxRetryMs = opts.maxRetryMs ?? 3_600_000;
    this.batchSize = opts.batchSize ?? 100;
    this.concurrency = opts.concurrency ?? 8;
    this.sleep = opts.sleep ?? ((ms) => delay(ms));
  }

  /** Resolves deliveries left 'sending' by a previous run (see OutboxStore.recover). Runs once. */
  recover(): void {
    if (this.recovered) return;
    this.recovered = true;
    const result = this.store.recover((channel) => this.opts.channels.get(channel)?.capabilities.idempotent ?? false, this.now());
    if (result.requeued || result.unknown) this.opts.log.warn(result, "outbox: deliveries interrupted by a restart recovered");
  }

  /** Starts polling in the background (about once a second). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    this.recover();
    this.timer = setInterval(() => this.tick(), this.opts.pollMs ?? 1000);
    this.timer.unref();
    this.tick();
  }

  /** Delivers promptly after an enqueue instead of waiting for the next poll. */
  kick(): void {
    if (!this.started || this.stopping) return;
    setImmediate(() => this.tick());
  }

  /** Stops polling; an in-flight send finishes, claimed but unsent deliveries go back to the queue. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.lanes.values()]);
    this.started = false;
  }

  /** One pass over every channel; returns how many deliveries were attempted. */
  async runOnce(): Promise<number> {
    this.recover();
    const counts = await Promise.all([...this.opts.channels.keys()].map((id) => this.runLane(id, false)));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Passes until nothing is due now (retries scheduled later are left for later). */
  async drain(maxPasses = 10_000): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxPasses; i++) {
      const n = await this.runOnce();
      if (n === 0) break;
      total += n;
    }
    return total;
  }

  private tick(): void {
    if (this.stopping) return;
    for (const id of this.opts.channels.keys()) {
      if (this.lanes.has(id)) this.again.add(id);
      else void this.runLane(id, true);
    }
  }

  /** Serialises passes per channel: a second caller waits for the running pass, then runs its own. */
  private runLane(id: ChannelId, loop: boolean): Promise<number> {
    const previous = this.lanes.get(id) ?? Promise.resolve(0);
    const run = previous
      .catch(() => 0)
      .then(async () => {
        let total = 0;
        let more = true;
        while (more) {
          this.again.delete(id);
          const n = await this.pass(id);
          total += n;
          more = loop && !this.stopping && (n > 0 || this.again.has(id));
        }
        return total;
      })
      .catch((err) => {
        this.opts.log.error({ err, channel: id }, "outbox: pass failed");
        return 0;
      });
    this.lanes.set(id, run);
    void run.finally(() => {
      if (this.lanes.get(id) === run) this.lanes.delete(id);
    });
    return run;
  }

  private async pass(id: ChannelId): Promise<number> {
    const adapter = this.opts.channels.get(id);
    if (!adapter || this.stopping) return 0;
    const now = this.now();
    const quiet = isQuietTime(now, this.opts.quietHours, this.opts.timeZone);
    const { idempotent, minGapMs } = adapter.capabilities;
    // Paced and non-idempotent channels take small bites: a cancelled broadcast stops within a
    // few sends, a staff reply overtakes a broadcast, and a crash leaves at most one in doubt.
    const limit = !idempotent
      ? 1
      : minGapMs > 0
        ? Math.max(1, Math.min(this.batchSize, Math.floor(5000 / minGapMs)))
        : this.batchSize;
    const claimed = this.store.claim(id, now, limit, quiet);
    if (!claimed.length) return 0;
    if (minGapMs > 0 || !idempotent) {
      for (const [i, d] of claimed.entries()) {
        if (this.stopping) {
          for (const rest of claimed.slice(i)) this.store.releaseUnsent(rest.id, this.now());
          break;
        }
        await this.pace(id, minGapMs);
        await this.deliver(adapter, d);
      }
    } else {
      let next = 0;
      const worker = async () => {
        while (next < claimed.length) {
          const d = claimed[next++] as ClaimedDelivery;
          if (this.stopping) this.store.releaseUnsent(d.id, this.now());
          else await this.deliver(adapter, d);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, claimed.length) }, worker));
    }
    return claimed.length;
  }

  /** Keeps at least minGapMs of real time between two sends on a channel. */
  private async pace(id: ChannelId, minGapMs: number): Promise<void> {
    if (minGapMs <= 0) return;
    const last = this.lastSendAt.get(id);
    if (last !== undefined) {
      const wait = last + minGapMs - performance.now();
      if (wait > 0) await this.sleep(wait);
    }
    this.lastSendAt.set(id, performance.now());
  }

  private async deliver(adapter: ChannelAdapter, d: ClaimedDelivery): Promise<void> {
    if (!d.userId) {
      this.store.markFailed(d.id, "the resident no longer exists", this.now());
      return;
    }
    // Opting out and cancelling take effect at once, also for messages already queued (e.g. held by quiet hours).
    const dropped =
      d.kind === "reminder" && d.remindersOptOut
        ? "the resident opted out of reminders"
        : d.kind === "broadcast" && !d.acceptsNotices
          ? "the resident no longer accepts notices"
          : d.broadcastStatus === "cancelled"
            ? "the broadcast was cancelled"
            : null;
    if (dropped) {
      this.store.markCancelled(d.id, dropped, this.now());
      return;
    }
    try {
      await adapter.send({ id: d.id, channel: d.channel, userId: d.userId, text: d.text, kind: d.kind });
    } catch (err) {
      this.failed(adapter, d, err);
      return;
    }
    this.store.markSent(d.id, this.now());
  }

  /**
   * What a failed send means depends on the error and the channel:
   * - a `retryAt` on the error (WeChat's daily cap): wait until then, without using up an attempt;
   * - a retryable DeliveryError (surely not delivered): retry with exponential backoff, then 'failed';
   * - a non-retryable one: 'failed' where the receiver de-duplicates (it rejected the message),
   *   'unknown' on a channel that cannot (the send broke half-way and may have arrived);
   * - any other error: treated as retryable on an idempotent channel, 'unknown' otherwise.
   */
  private failed(adapter: ChannelAdapter, d: ClaimedDelivery, err: unknown): void {
    const log = this.opts.log;
    const message = (err as Error)?.message ?? String(err);
    const now = this.now();
    const idempotent = adapter.capabilities.idempotent;
    const retryAt = (err as { retryAt?: unknown })?.retryAt;
    if (err instanceof DeliveryError && err.retryable && typeof retryAt === "number" && retryAt > now) {
      this.store.retryLater(d.id, retryAt, message, now, false);
      log.warn({ delivery: d.id, channel: d.channel, retryAt, error: message }, "outbox: channel asks to retry later");
      return;
    }
    const known = err instanceof DeliveryError;
    if ((!known && !idempotent) || (known && !err.retryable && !idempotent)) {
      this.store.markUnknown(d.id, message, now);
      log.error({ delivery: d.id, channel: d.channel, error: message }, "outbox: delivery outcome unknown (not resent)");
      return;
    }
    const retryable = known ? err.retryable : true;
    if (retryable && d.attempts < this.maxAttempts) {
      const backoff = Math.min(this.maxRetryMs, this.retryBaseMs * 2 ** (d.attempts - 1));
      this.store.retryLater(d.id, now + backoff, message, now, true);
      log.warn(
        { delivery: d.id, channel: d.channel, attempts: d.attempts, retryInMs: backoff, error: message },
        "outbox: send failed, will retry",
      );
    } else {
      this.store.markFailed(d.id, message, now);
      log.error({ delivery: d.id, channel: d.channel, attempts: d.attempts, error: message }, "outbox: delivery failed");
    }
  }

  private now(): number {
    return this.opts.clock.now();
  }
}
