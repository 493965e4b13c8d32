/**
 * Endorsement reminders. Exports: reminderRoutes (staff API: permits, reminders), reminderSkill
 * (chat: 提醒我签注 / 退订提醒 / 订阅提醒), runReminderScan (the decision), startReminderJobs
 * (schedule + dispatcher + interrupted broadcasts, when background jobs are on).
 */
import type { AppContext } from "../context.ts";
import { resumeBroadcasts } from "../outbox/broadcasts.ts";
import { scheduleReminderScan } from "./scheduler.ts";

export { reminderRoutes } from "./routes.ts";
export { runReminderScan } from "./scan.ts";
export { reminderSkill } from "./skill.ts";

/** Starts the outbox dispatcher, the reminder schedule, and finishes queueing interrupted broadcasts. */
export function startReminderJobs(ctx: AppContext): void {
  ctx.dispatcher.start();
  ctx.onClose.push(() => ctx.dispatcher.stop());
  const stopSchedule = scheduleReminderScan(ctx);
  ctx.onClose.push(stopSchedule);
  void resumeBroadcasts({
    sql: ctx.db.sql,
    clock: ctx.clock,
    log: ctx.log,
    channels: ctx.channels,
    dispatcher: ctx.dispatcher,
  }).catch((err) => ctx.log.error({ err }, "resuming broadcasts failed"));
}
