import type { Logger } from "pino";
import type { LeaseRepo } from "../data/leases.ts";
import type { Clock } from "../lib/clock.ts";

export interface LeadershipOptions {
  leases: LeaseRepo;
  name: string;
  owner: string;
  clock: Clock;
  log: Logger;
  /** A leader that stops renewing loses the lease after this long (default 30 s). */
  ttlMs?: number;
  /** How often to renew or try to take over (default a third of the TTL). */
  renewMs?: number;
  onGain?: () => void;
  onLose?: () => void;
}

/**
 * Exactly one instance at a time holds the named lease and runs the scheduled jobs; the others
 * keep trying, and one takes over within a TTL after the leader dies (or at once when it shuts
 * down cleanly and releases the lease). `isLeader` is checked again between batches of long
 * jobs, so a leader that lost its lease (a long pause, the database unreachable) stops soon.
 */
export class Leadership {
  private timer: NodeJS.Timeout | null = null;
  private leader = false;
  private lastRenewed = 0;
  private readonly ttlMs: number;
  private readonly renewMs: number;

  constructor(private readonly opts: LeadershipOptions) {
    this.ttlMs = opts.ttlMs ?? 30_000;
    this.renewMs = opts.renewMs ?? Math.floor(this.ttlMs / 3);
  }

  /** True while this instance holds an unexpired lease. */
  get isLeader(): boolean {
    return this.leader && Date.now() - this.lastRenewed < this.ttlMs;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), this.renewMs);
    this.timer.unref();
    void this.beat();
  }

  private async beat(): Promise<void> {
    const { leases, name, owner, clock, log } = this.opts;
    let holds = false;
    try {
      holds = await leases.acquire(name, owner, clock.now(), this.ttlMs);
    } catch (err) {
      log.warn({ err: (err as Error).message }, "leader election: database unreachable");
    }
    if (holds) this.lastRenewed = Date.now();
    if (holds && !this.leader) {
      this.leader = true;
      log.info({ lease: name }, "this instance now runs the scheduled jobs");
      this.opts.onGain?.();
    } else if (!holds && this.leader) {
      this.leader = false;
      log.warn({ lease: name }, "this instance no longer runs the scheduled jobs");
      this.opts.onLose?.();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.leader) {
      this.leader = false;
      this.opts.onLose?.();
      await this.opts.leases.release(this.opts.name, this.opts.owner).catch(() => undefined);
    }
  }
}
