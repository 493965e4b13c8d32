import { Cron } from "croner";
import type { AppContext } from "../context.ts";
import { runReminderScan } from "./scan.ts";

/**
 * Runs the reminder scan on REMINDER_CRON (local time in TZ) and once shortly after start-up,
 * so reminders missed while the service was down go out at once (latest stage only). Runs never
 * overlap (they would be harmless anyway: unique keys, just wasted work). The returned stop
 * function ends a scan in progress after its current batch, so the database is not closed under it.
 */
export function scheduleReminderScan(ctx: AppContext): () => Promise<void> {
  let running: Promise<void> | null = null;
  let stopped = false;
  const abort = new AbortController();
  const run = () => {
    if (running || stopped) return running ?? Promise.resolve();
    running = (async () => {
      try {
        const result = await runReminderScan(
          { sql: ctx.db.sql, timeZone: ctx.config.TZ, log: ctx.log, signal: abort.signal },
          ctx.clock.now(),
        );
        if (result.queued) ctx.dispatcher.kick();
      } catch (err) {
        ctx.log.error({ err }, "reminder scan failed");
      } finally {
        running = null;
      }
    })();
    return running;
  };
  let job: Cron;
  try {
    job = new Cron(ctx.config.REMINDER_CRON, { timezone: ctx.config.TZ, unref: true }, () => void run());
  } catch (err) {
    throw new Error(`REMINDER_CRON: "${ctx.config.REMINDER_CRON}" is not a valid cron pattern (${(err as Error).message})`);
  }
  const first = setTimeout(() => void run(), 2000);
  first.unref();
  return async () => {
    stopped = true;
    abort.abort();
    clearTimeout(first);
    job.stop();
    await running;
  };
}
