import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "pino";
import type { ClaimedDelivery, OutboxRepo } from "../data/outbox.ts";
import { type ChannelAdapter, DeliveryError } from "../dialog/channel.ts";
import type { DeliveryClass } from "../domain/deliveries.ts";
import type { ChannelId } from "../domain/types.ts";
import type { Clock } from "../lib/clock.ts";
import { isQuietTime, type QuietWindow } from "./quiet-hours.ts";

export interface DispatcherOptions {
  outbox: OutboxRepo;
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
  /** Deliveries claimed per pass on a fast channel (default 50). */
  batchSize?: number;
  /** Parallel sends on a fast idempotent channel (default 8). */
  concurrency?: number;
  /** Background poll interval (default 1 s). */
  pollMs?: number;
  /**
   * How long a claim holds without renewal (default 60 s). Another instance takes over a claim
   * only after this, so it must exceed the slowest single send (the webhook times out at 10 s).
   */
  leaseMs?: number;
  /** Waits between paced sends; injectable so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** Called after each delivery outcome (metrics). */
  onOutcome?: (channel: ChannelId, outcome: "sent" | "retry" | "failed" | "unknown" | "cancelled") => void;
}

const CLASSES: readonly DeliveryClass[] = ["urgent", "bulk"];
type LaneKey = `${ChannelId}:${DeliveryClass}`;

/**
 * Delivers the outbox. Each channel has two lanes, urgent (staff replies, decision notices) and
 * bulk (reminders, broadcasts), so a staff reply never waits behind a broadcast batch, and a
 * slow channel (WeChat, paced) never holds up a fast one (the api webhook). Paced channels keep
 * their gap across both lanes. A pass claims due deliveries (with a lease, see OutboxRepo),
 * hands each over just before sending and records the outcome:
 *
 * - sent → 'sent'; a retryable DeliveryError → back to 'pending' with exponential backoff, then
 *   'failed' after maxAttempts; a non-retryable error → 'failed' at once (lastError kept).
 * - During quiet hours only staff replies go (they answer the resident's own request);
 *   reminders, notices and broadcasts stay pending until the window ends.
 * - A channel that is not idempotent is claimed one delivery at a time, so at most one message
 *   can be in doubt after a crash; a claim whose owner died is 'unknown' rather than resent.
 * - A channel that is not ready (WeChat logged out) is skipped without using up attempts.
 */
export class Dispatcher {
  private readonly lanes = new Map<LaneKey, Promise<number>>();
  private readonly again = new Set<LaneKey>();
  private readonly lastSendAt = new Map<ChannelId, number>();
  private timer: NodeJS.Timeout | null = null;
  private leaseTimer: NodeJS.Timeout | null = null;
  private started = false;
  private stopping = false;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly maxRetryMs: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: DispatcherOptions) {
    this.maxAttempts = opts.maxAttempts ?? 8;
    this.retryBaseMs = opts.retryBaseMs ?? 30_000;
    this.maxRetryMs = opts.maxRetryMs ?? 3_600_000;
    this.batchSize = opts.batchSize ?? 50;
    this.concurrency = opts.concurrency ?? 8;
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.sleep = opts.sleep ?? ((ms) => delay(ms));
  }

  /**
   * Takes over claims whose lease ran out (an instance died mid-send); see
   * OutboxRepo.recoverExpired. Safe to run from any instance at any time.
   */
  async recover(): Promise<void> {
    const result = await this.opts.outbox.recoverExpired(
      (channel) => this.opts.channels.get(channel)?.capabilities.idempotent ?? false,
      this.now(),
    );
    if (result.requeued || result.unknown) this.opts.log.warn(result, "outbox: deliveries left by a stopped instance recovered");
  }

  /** Starts polling in the background (about once a second) and renewing this instance's claims. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    this.timer = setInterval(() => this.tick(), this.opts.pollMs ?? 1000);
    this.timer.unref();
    this.leaseTimer = setInterval(() => void this.housekeeping(), Math.max(1000, Math.floor(this.leaseMs / 3)));
    this.leaseTimer.unref();
    void this.housekeeping();
    this.tick();
  }

  private async housekeeping(): Promise<void> {
    try {
      await this.opts.outbox.renewLeases(this.now(), this.leaseMs);
      await this.recover();
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, "outbox: lease housekeeping failed (database unreachable?)");
    }
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
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    this.timer = null;
    this.leaseTimer = null;
    await Promise.allSettled([...this.lanes.values()]);
    this.started = false;
  }

  /** One pass over every lane; returns how many deliveries were attempted. */
  async runOnce(): Promise<number> {
    await this.recover();
    const runs = [...this.opts.channels.keys()].flatMap((id) => CLASSES.map((cls) => this.runLane(id, cls, false)));
    const counts = await Promise.all(runs);
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
      for (const cls of CLASSES) {
        const key: LaneKey = `${id}:${cls}`;
        if (this.lanes.has(key)) this.again.add(key);
        else void this.runLane(id, cls, true);
      }
    }
  }

  /** Serialises passes per lane: a second caller waits for the running pass, then runs its own. */
  private runLane(id: ChannelId, cls: DeliveryClass, loop: boolean): Promise<number> {
    const key: LaneKey = `${id}:${cls}`;
    const previous = this.lanes.get(key) ?? Promise.resolve(0);
    const run = previous
      .catch(() => 0)
      .then(async () => {
        let total = 0;
        let more = true;
        while (more) {
          this.again.delete(key);
          const n = await this.pass(id, cls);
          total += n;
          more = loop && !this.stopping && (n > 0 || this.again.has(key));
        }
        return total;
      })
      .catch((err) => {
        this.opts.log.error({ err, channel: id, lane: cls }, "outbox: pass failed");
        return 0;
      });
    this.lanes.set(key, run);
    void run.finally(() => {
      if (this.lanes.get(key) === run) this.lanes.delete(key);
    });
    return run;
  }

  private async pass(id: ChannelId, cls: DeliveryClass): Promise<number> {
    const adapter = this.opts.channels.get(id);
    if (!adapter || this.stopping) return 0;
    // Logged out (WeChat): nothing is claimed, so nothing uses up attempts while it waits.
    if (adapter.ready && !adapter.ready()) return 0;
    const now = this.now();
    const quiet = isQuietTime(now, this.opts.quietHours, this.opts.timeZone);
    const { idempotent, minGapMs } = adapter.capabilities;
    // Paced and non-idempotent channels take small bites: a cancelled broadcast stops within a
    // few sends, and a crash leaves at most one in doubt.
    const limit = !idempotent
      ? 1
      : minGapMs > 0
        ? Math.max(1, Math.min(this.batchSize, Math.floor(5000 / minGapMs)))
        : this.batchSize;
    const claimed = await this.opts.outbox.claim(id, cls, now, limit, quiet, this.leaseMs);
    if (!claimed.length) return 0;
    if (minGapMs > 0 || !idempotent) {
      for (const [i, d] of claimed.entries()) {
        if (this.stopping) {
          for (const rest of claimed.slice(i)) await this.opts.outbox.releaseUnsent(rest.id, this.now());
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
          if (this.stopping) await this.opts.outbox.releaseUnsent(d.id, this.now());
          else await this.deliver(adapter, d);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, claimed.length) }, worker));
    }
    return claimed.length;
  }

  /**
   * Keeps at least minGapMs of real time between two sends on a channel. Both lanes share it:
   * each send reserves the next free slot before it waits, so two lanes never send together.
   */
  private async pace(id: ChannelId, minGapMs: number): Promise<void> {
    if (minGapMs <= 0) return;
    const now = performance.now();
    const last = this.lastSendAt.get(id);
    const slot = last === undefined ? now : Math.max(now, last + minGapMs);
    this.lastSendAt.set(id, slot);
    if (slot > now) await this.sleep(slot - now);
  }

  private async deliver(adapter: ChannelAdapter, d: ClaimedDelivery): Promise<void> {
    const outbox = this.opts.outbox;
    if (!d.userId) {
      await outbox.finish(d.id, "failed", "the resident no longer exists", this.now());
      this.opts.onOutcome?.(d.channel, "failed");
      return;
    }
    // Opting out takes effect at once, also for messages already queued (e.g. held by quiet hours).
    const dropped =
      d.kind === "reminder" && d.remindersOptOut
        ? "the resident opted out of reminders"
        : d.kind === "broadcast" && !d.acceptsNotices
          ? "the resident no longer accepts notices"
          : null;
    if (dropped) {
      await outbox.finish(d.id, "cancelled", dropped, this.now());
      this.opts.onOutcome?.(d.channel, "cancelled");
      return;
    }
    // The claim must still be ours and the broadcast not cancelled; after this the send is under way.
    const handOver = await outbox.handOver(d.id, this.now(), this.leaseMs);
    if (handOver !== "go") {
      if (handOver === "cancelled") this.opts.onOutcome?.(d.channel, "cancelled");
      else this.opts.log.warn({ delivery: d.id }, "outbox: claim lost before sending (lease expired); another instance has it");
      return;
    }
    try {
      await adapter.send({ id: d.id, channel: d.channel, userId: d.userId, text: d.text, kind: d.kind });
    } catch (err) {
      await this.failed(adapter, d, err);
      return;
    }
    await outbox.markSent(d.id, this.now());
    this.opts.onOutcome?.(d.channel, "sent");
  }

  /**
   * What a failed send means depends on the error and the channel:
   * - a `retryAt` on the error (WeChat's daily cap): wait until then, without using up an attempt;
   * - a retryable error from a channel that is no longer ready (WeChat logged out during the
   *   pass): back to the queue at once without using up an attempt; it goes when the channel is
   *   ready again (nothing is claimed for it meanwhile), with no backoff to wait out;
   * - a retryable DeliveryError (surely not delivered): retry with exponential backoff, then 'failed';
   * - a non-retryable one: 'failed' where the receiver de-duplicates (it rejected the message),
   *   'unknown' on a channel that cannot (the send broke half-way and may have arrived);
   * - any other error: treated as retryable on an idempotent channel, 'unknown' otherwise.
   */
  private async failed(adapter: ChannelAdapter, d: ClaimedDelivery, err: unknown): Promise<void> {
    const { log, outbox } = this.opts;
    const message = (err as Error)?.message ?? String(err);
    const now = this.now();
    const idempotent = adapter.capabilities.idempotent;
    const retryAt = (err as { retryAt?: unknown })?.retryAt;
    if (err instanceof DeliveryError && err.retryable && typeof retryAt === "number" && retryAt > now) {
      await outbox.retryLater(d.id, retryAt, message, now, false);
      this.opts.onOutcome?.(d.channel, "retry");
      log.warn({ delivery: d.id, channel: d.channel, retryAt, error: message }, "outbox: channel asks to retry later");
      return;
    }
    if (err instanceof DeliveryError && err.retryable && adapter.ready && !adapter.ready()) {
      // Its own due time again: it keeps its place in the queue.
      await outbox.retryLater(d.id, d.notBefore, message, now, false);
      this.opts.onOutcome?.(d.channel, "retry");
      log.info({ delivery: d.id, channel: d.channel }, "outbox: channel not ready; the message waits for it");
      return;
    }
    const known = err instanceof DeliveryError;
    if ((!known && !idempotent) || (known && !err.retryable && !idempotent)) {
      await outbox.finish(d.id, "unknown", message, now);
      this.opts.onOutcome?.(d.channel, "unknown");
      log.error({ delivery: d.id, channel: d.channel, error: message }, "outbox: delivery outcome unknown (not resent)");
      return;
    }
    const retryable = known ? err.retryable : true;
    if (retryable && d.attempts < this.maxAttempts) {
      const backoff = Math.min(this.maxRetryMs, this.retryBaseMs * 2 ** (d.attempts - 1));
      await outbox.retryLater(d.id, now + backoff, message, now, true);
      this.opts.onOutcome?.(d.channel, "retry");
      log.warn(
        { delivery: d.id, channel: d.channel, attempts: d.attempts, retryInMs: backoff, error: message },
        "outbox: send failed, will retry",
      );
    } else {
      await outbox.finish(d.id, "failed", message, now);
      this.opts.onOutcome?.(d.channel, "failed");
      log.error({ delivery: d.id, channel: d.channel, attempts: d.attempts, error: message }, "outbox: delivery failed");
    }
  }

  private now(): number {
    return this.opts.clock.now();
  }
}
