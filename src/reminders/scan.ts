import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Logger } from "pino";
import type { ReminderDecision, ReminderRepo } from "../data/reminders.ts";
import { addDays, daysBetween, dueStages, FIRST_REMINDER_DAYS, localDate, OVERDUE_LOOKBACK_DAYS } from "../domain/calendar.ts";
import { reminderText } from "./wording.ts";

export interface ScanOptions {
  reminders: ReminderRepo;
  timeZone: string;
  log?: Logger;
  /** Permits read and decided per transaction (default 5000). */
  batchSize?: number;
  /** Stops between batches (shutdown); what was decided so far stays decided. */
  signal?: AbortSignal;
}

export interface ScanResult {
  /** Reminders queued for delivery by this scan. */
  queued: number;
  /** Permits looked at (those still lacking a decision for their current stage). */
  examined: number;
  ms: number;
}

/**
 * Decides the reminders due at `now` and queues them in the outbox. Only permits whose endorseBy
 * lies in [today − 30, today + 30] can be due, so the scan walks those dates one by one through
 * the endorseBy index, a few thousand permits per transaction, yielding to the event loop between
 * batches; it never holds more than one batch in memory.
 *
 * The catch-up rule: for each date only the latest due stage is considered, so when several
 * stages are due at once (the service was down, the permit was imported late) only the latest is
 * sent. An earlier stage can never become the latest again within a cycle (stages only advance as
 * days pass, and a new endorseBy is a new cycle), so it never goes later; it is not written as a
 * row of its own (that would double the writes of a first scan over a large import) but shown as
 * "skipped" by ReminderRepo.list.
 */
export async function runReminderScan(opts: ScanOptions, now: number): Promise<ScanResult> {
  const started = performance.now();
  const store = opts.reminders;
  const batchSize = opts.batchSize ?? 5000;
  const today = localDate(now, opts.timeZone);
  const optedOut = await store.optedOutResidents();
  let queued = 0;
  let examined = 0;
  for (let offset = -OVERDUE_LOOKBACK_DAYS; offset <= FIRST_REMINDER_DAYS && !opts.signal?.aborted; offset++) {
    const endorseBy = addDays(today, offset);
    const stages = dueStages(daysBetween(today, endorseBy));
    const stage = stages.at(-1);
    if (!stage) continue;
    let after = "";
    for (;;) {
      const batch = await store.candidatesFor(endorseBy, stage, after, batchSize);
      if (!batch.length) break;
      examined += batch.length;
      const decisions: ReminderDecision[] = [];
      for (const candidate of batch) {
        if (!optedOut.has(candidate.residentId)) decisions.push({ candidate, stage, text: reminderText(stage, candidate) });
      }
      queued += await store.decide(decisions, now);
      after = (batch.at(-1) as { permitId: string }).permitId;
      await yieldToEventLoop();
      if (batch.length < batchSize || opts.signal?.aborted) break;
    }
  }
  const ms = Math.round(performance.now() - started);
  opts.log?.info({ queued, examined, ms }, "reminder scan finished");
  return { queued, examined, ms };
}
