/** A local time-of-day window "HH:MM-HH:MM"; `from` > `to` means it crosses midnight. */
export interface QuietWindow {
  from: string;
  to: string;
}

const timeFormatters = new Map<string, Intl.DateTimeFormat>();

function minutesOfDay(now: number, timeZone: string): number {
  let f = timeFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    timeFormatters.set(timeZone, f);
  }
  const parts = f.formatToParts(new Date(now));
  const hour = Number(parts.find((p) => p.type === "hour")?.value ?? 0);
  const minute = Number(parts.find((p) => p.type === "minute")?.value ?? 0);
  return hour * 60 + minute;
}

const parse = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** True when `now` falls inside the window (start inclusive, end exclusive) in local time. */
export function isQuietTime(now: number, window: QuietWindow | null, timeZone: string): boolean {
  if (!window) return false;
  const from = parse(window.from);
  const to = parse(window.to);
  if (from === to) return false;
  const m = minutesOfDay(now, timeZone);
  return from < to ? m >= from && m < to : m >= from || m < to;
}
