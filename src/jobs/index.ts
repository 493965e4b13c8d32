/**
 * Background work of a running instance. Every instance delivers the outbox (claims keep them
 * apart); exactly one — the holder of the "scheduler" lease — runs the scheduled jobs: the
 * reminder scan on REMINDER_CRON (and shortly after it becomes leader, so reminders missed while
 * the service was down go out at once) and finishing broadcasts a restart interrupted. With
 * WeChat configured, exactly one instance — the holder of the "wechat" lease — runs the account
 * (one login, one paced send queue); the others forward nothing to it and take over if it dies.
 * The leader also runs the retention job (src/jobs/retention.ts) daily at 03:30 local time, and a
 * minute after it becomes leader so a service that restarts every night still runs it.
 */
import { Cron } from "croner";
import type { AppContext } from "../context.ts";
import { resumeBroadcasts } from "../outbox/broadcasts.ts";
import { runReminderScan } from "../reminders/scan.ts";
import { Leadership } from "./leader.ts";
import { runRetention } from "./retention.ts";

/** When the retention job runs (local time, TZ): at night, when few residents chat. */
export const RETENTION_CRON = "30 3 * * *";

export function startJobs(ctx: AppContext, wechat?: { start(): Promise<void>; stop(): Promise<void> }): void {
  ctx.dispatcher.start();
  ctx.onClose.push(() => ctx.dispatcher.stop());

  let abort = new AbortController();
  let running: Promise<void> | null = null;
  const leadership = new Leadership({
    leases: ctx.store.leases,
    name: "scheduler",
    owner: ctx.store.instanceId,
    clock: ctx.clock,
    log: ctx.log,
    ttlMs: ctx.config.SCHEDULER_LEASE_MS,
    onGain: () => {
      abort = new AbortController();
      setTimeout(() => void scan(), 2000).unref();
      setTimeout(() => void purge(), 60_000).unref();
      void resumeBroadcasts({
        broadcasts: ctx.store.broadcasts,
        clock: ctx.clock,
        log: ctx.log,
        channels: ctx.channels,
        dispatcher: ctx.dispatcher,
      }).catch((err) => ctx.log.error({ err }, "resuming broadcasts failed"));
    },
    onLose: () => abort.abort(),
  });

  // Runs never overlap within an instance (they would be harmless anyway: unique keys).
  const scan = (): Promise<void> => {
    if (running || !leadership.isLeader) return running ?? Promise.resolve();
    running = (async () => {
      try {
        const result = await runReminderScan(
          { reminders: ctx.store.reminders, timeZone: ctx.config.TZ, log: ctx.log, signal: abort.signal },
          ctx.clock.now(),
        );
        ctx.metrics?.scanFinished(result.ms);
        if (result.queued) ctx.dispatcher.kick();
      } catch (err) {
        ctx.log.error({ err }, "reminder scan failed");
      } finally {
        running = null;
      }
    })();
    return running;
  };

  let purging: Promise<void> | null = null;
  const purge = (): Promise<void> => {
    if (purging || !leadership.isLeader) return purging ?? Promise.resolve();
    purging = (async () => {
      try {
        await runRetention(
          { retention: ctx.store.retention, policy: ctx.config.retention, log: ctx.log, signal: abort.signal },
          ctx.clock.now(),
        );
      } catch (err) {
        ctx.log.error({ err }, "retention job failed; it runs again tomorrow");
      } finally {
        purging = null;
      }
    })();
    return purging;
  };
  const retentionJob = new Cron(RETENTION_CRON, { timezone: ctx.config.TZ, unref: true }, () => void purge());

  let job: Cron;
  try {
    job = new Cron(ctx.config.REMINDER_CRON, { timezone: ctx.config.TZ, unref: true }, () => void scan());
  } catch (err) {
    throw new Error(`REMINDER_CRON: "${ctx.config.REMINDER_CRON}" is not a valid cron pattern (${(err as Error).message})`);
  }
  leadership.start();
  ctx.leadership = leadership;
  if (wechat) {
    const account = new Leadership({
      leases: ctx.store.leases,
      name: "wechat",
      owner: ctx.store.instanceId,
      clock: ctx.clock,
      log: ctx.log,
      ttlMs: ctx.config.SCHEDULER_LEASE_MS,
      onGain: () => void wechat.start(),
      onLose: () => void wechat.stop(),
    });
    account.start();
    ctx.onClose.push(() => account.stop());
  }
  // Expired request counters and the event-stream rows of dead instances: every instance tidies
  // up now and then (idempotent; the limits ignore expired rows anyway, this only keeps tables small).
  const prune = setInterval(
    () => void ctx.store.limits.prune(ctx.clock.now()).catch((err) => ctx.log.warn({ err }, "pruning rate counters failed")),
    10 * 60_000,
  );
  prune.unref();
  ctx.onClose.push(() => clearInterval(prune));
  ctx.onClose.push(async () => {
    job.stop();
    retentionJob.stop();
    abort.abort();
    await running;
    await purging;
    await leadership.stop();
  });
}
