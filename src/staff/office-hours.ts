import { type DailyWindow, inDailyWindow } from "../lib/local-time.ts";

export { type DailyWindow, localMinutes, startOfLocalDay } from "../lib/local-time.ts";

/** True inside the window; no window configured means staff are always reachable. */
export function withinWindow(now: number, window: DailyWindow | null, timeZone: string): boolean {
  return window ? inDailyWindow(now, window, timeZone) : true;
}
