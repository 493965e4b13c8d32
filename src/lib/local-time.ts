/**
 * Local wall-clock time in the configured time zone (config.TZ). Formatters are cached per
 * zone: creating an Intl.DateTimeFormat costs ~60 µs, and these run on every chat turn.
 */

/** A daily local-time window "HH:MM-HH:MM"; `from` > `to` crosses midnight, `from` = `to` is empty. */
export interface DailyWindow {
  from: string;
  to: string;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(now: number, timeZone: string): WallClock {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timeZone, f);
  }
  const out: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of f.formatToParts(new Date(now))) {
    if (p.type in out) out[p.type as keyof WallClock] = Number(p.value);
  }
  return out;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** The local calendar date of an instant, as YYYY-MM-DD. */
export function localDate(now: number, timeZone: string): string {
  const c = wallClock(now, timeZone);
  return `${c.year}-${pad(c.month)}-${pad(c.day)}`;
}

/** Minutes since local midnight. */
export function localMinutes(now: number, timeZone: string): number {
  const c = wallClock(now, timeZone);
  return c.hour * 60 + c.minute;
}

/** Epoch ms of the local midnight starting the day of `now` (or its month, with `monthStart`). */
export function startOfLocalDay(now: number, timeZone: string, monthStart = false): number {
  const c = wallClock(now, timeZone);
  // The zone's offset at `now`: local wall time read as UTC minus the real instant.
  const offset = Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second) - Math.floor(now / 1000) * 1000;
  return Date.UTC(c.year, c.month - 1, monthStart ? 1 : c.day) - offset;
}

/** Epoch ms of the local midnight ending the day of `now`. */
export function endOfLocalDay(now: number, timeZone: string): number {
  // 36 h past the start of today is always inside tomorrow, DST or not.
  return startOfLocalDay(startOfLocalDay(now, timeZone) + 36 * 3_600_000, timeZone);
}

const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** True inside the window (start inclusive, end exclusive, local time). */
export function inDailyWindow(now: number, window: DailyWindow, timeZone: string): boolean {
  const from = toMinutes(window.from);
  const to = toMinutes(window.to);
  if (from === to) return false;
  const m = localMinutes(now, timeZone);
  return from < to ? m >= from && m < to : m >= from || m < to;
}

/**
 * The local midnights bounding the last `days` days up to and including today: days + 1
 * instants, oldest first (the last is tonight's midnight). Walked back day by day, so a day
 * with a daylight-saving change has its real length.
 */
export function localDayBounds(now: number, timeZone: string, days: number): number[] {
  const bounds = [endOfLocalDay(now, timeZone)];
  for (let i = 0; i < days; i++) bounds.unshift(startOfLocalDay(bounds[0]! - 1, timeZone));
  return bounds;
}
