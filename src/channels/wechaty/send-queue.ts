import { DeliveryError } from "../../dialog/channel.ts";

/** Today's cap is used up: retryable, best retried from `retryAt` (the next local midnight). */
export class DailyCapReached extends DeliveryError {
  constructor(
    cap: number,
    readonly retryAt: number,
  ) {
    super(`the WeChat daily cap of ${cap} proactive messages is reached; retry after ${new Date(retryAt).toISOString()}`, true);
    this.name = "DailyCapReached";
  }
}

export interface PacedQueueOptions {
  /** Pause between two sends, measured from the end of one to the start of the next. */
  minGapMs: number;
  /** Largest random extra pause added to each gap, so sends do not tick like a machine. */
  jitterMs: number;
  /** Most sends per local calendar day. */
  dailyCap: number;
  /** The calendar day an instant falls on, e.g. "2026-11-28" (the cap resets with it). */
  dayOf: (now: number) => string;
  /** When the day `now` falls on ends (the next local midnight). */
  endOfDay: (now: number) => number;
  /** The service clock: decides which day a send counts against. */
  now: () => number;
  random?: () => number;
}

/**
 * One account's proactive send queue: strictly one send at a time, spaced by a minimum gap plus
 * jitter, and at most `dailyCap` a day (queued sends count, so a burst cannot overshoot the cap).
 * WeChat restricts personal accounts that send fast or much; this is the brake.
 */
export class PacedQueue {
  private tail: Promise<unknown> = Promise.resolve();
  /** Wall time (Date.now) when the previous send ended. */
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private day = "";
  /** Sends counted against `day`: handed over, in progress or waiting. */
  private used = 0;
  private closed = false;
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();

  constructor(private readonly opts: PacedQueueOptions) {}

  /** Counts sends already made today (e.g. before a restart) against the cap. */
  seed(day: string, sent: number): void {
    this.rollDay();
    if (day === this.day) this.used = Math.max(this.used, sent);
  }

  /** Sends left today. */
  get remainingToday(): number {
    this.rollDay();
    return Math.max(0, this.opts.dailyCap - this.used);
  }

  /**
   * Runs `task` when pacing allows. Rejects with a retryable DeliveryError when today's cap is
   * used up or the queue closes before the task ran; otherwise settles as `task` does.
   */
  enqueue(task: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(new DeliveryError("the WeChat channel is stopping", true));
    this.rollDay();
    if (this.used >= this.opts.dailyCap) {
      return Promise.reject(new DailyCapReached(this.opts.dailyCap, this.opts.endOfDay(this.opts.now())));
    }
    this.used++;
    const day = this.day;
    const release = () => {
      if (this.day === day && this.used > 0) this.used--;
    };
    const run = this.tail.then(async () => {
      await this.waitForGap();
      if (this.closed) {
        release();
        throw new DeliveryError("the WeChat channel stopped before the message was sent", true);
      }
      try {
        await task();
      } catch (err) {
        // Surely not sent (retryable): the slot is free again. Otherwise it may have gone out.
        if (err instanceof DeliveryError && err.retryable) release();
        throw err;
      } finally {
        this.lastSentAt = Date.now();
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Rejects everything still waiting (as not sent, retryable) and accepts nothing new. */
  close(): void {
    this.closed = true;
    for (const sleeper of this.sleepers) {
      clearTimeout(sleeper.timer);
      sleeper.wake();
    }
    this.sleepers.clear();
  }

  private async waitForGap(): Promise<void> {
    const jitter = Math.floor((this.opts.random ?? Math.random)() * this.opts.jitterMs);
    const wait = this.lastSentAt + this.opts.minGapMs + jitter - Date.now();
    if (wait <= 0 || this.closed) return;
    await new Promise<void>((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, wait),
        wake: resolve,
      };
      this.sleepers.add(sleeper);
    });
  }

  private rollDay(): void {
    const today = this.opts.dayOf(this.opts.now());
    if (today !== this.day) {
      this.day = today;
      this.used = 0;
    }
  }
}
