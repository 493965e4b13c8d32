import { type DailyWindow, inDailyWindow } from "../lib/local-time.ts";

/** A local time-of-day window "HH:MM-HH:MM"; `from` > `to` means it crosses midnight. */
export type QuietWindow = DailyWindow;

/** True when `now` falls inside the window (start inclusive, end exclusive) in local time. */
export function isQuietTime(now: number, window: QuietWindow | null, timeZone: string): boolean {
  return window ? inDailyWindow(now, window, timeZone) : false;
}
