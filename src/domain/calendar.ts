/**
 * Calendar arithmetic for reminders: local dates in the configured time zone as "YYYY-MM-DD"
 * strings (they compare and index correctly as text), and the reminder stages of a permit.
 */

export { localDate } from "../lib/local-time.ts";

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD (rejects 2025-02-30). */
export function isIsoDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && y >= 1900 && y <= 2200;
}

function toUtcDays(date: string): number {
  const m = ISO_DATE.exec(date);
  if (!m) throw new Error(`not a YYYY-MM-DD date: ${date}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS;
}

function fromUtcDays(days: number): string {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return fromUtcDays(toUtcDays(date) + days);
}

/** Whole days from `from` to `to` (positive when `to` is later). */
export function daysBetween(from: string, to: string): number {
  return toUtcDays(to) - toUtcDays(from);
}

/** The same day a year later; 29 February becomes 28 February in a common year. */
export function addYear(date: string): string {
  const m = ISO_DATE.exec(date);
  if (!m) throw new Error(`not a YYYY-MM-DD date: ${date}`);
  const y = Number(m[1]) + 1;
  const mo = Number(m[2]);
  let d = Number(m[3]);
  if (mo === 2 && d === 29 && !isIsoDate(`${y}-02-29`)) d = 28;
  return `${y}-${m[2]}-${String(d).padStart(2, "0")}`;
}

/** "2026年3月5日" for residents. */
export function chineseDate(date: string): string {
  const m = ISO_DATE.exec(date);
  if (!m) return date;
  return `${Number(m[1])}年${Number(m[2])}月${Number(m[3])}日`;
}

export const reminderStages = ["d30", "d7", "d1", "overdue"] as const;
export type ReminderStage = (typeof reminderStages)[number];

/**
 * Days before endorseBy from which each stage is due. "overdue" starts the day after endorseBy:
 * endorseBy itself is the last day on which the endorsement is still on time.
 */
const stageStarts: Record<ReminderStage, number> = { d30: 30, d7: 7, d1: 1, overdue: -1 };

/** Overdue notices are sent only this many days after a lapse, so stale imported data does not spam. */
export const OVERDUE_LOOKBACK_DAYS = 30;
/** The earliest reminder goes this many days before endorseBy. */
export const FIRST_REMINDER_DAYS = 30;

/** The stages due when endorseBy is `daysLeft` days away (negative: lapsed), earliest first. */
export function dueStages(daysLeft: number): ReminderStage[] {
  if (daysLeft < -OVERDUE_LOOKBACK_DAYS) return [];
  return reminderStages.filter((s) => daysLeft <= stageStarts[s]);
}
