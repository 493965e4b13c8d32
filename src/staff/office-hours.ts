/** A daily local-time window such as 09:00-17:30 (config OFFICE_HOURS); may cross midnight. */
export interface DailyWindow {
  from: string;
  to: string;
}

/** Minutes since local midnight in `timeZone`. */
export function localMinutes(now: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(now));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return get("hour") * 60 + get("minute");
}

const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** True inside the window; no window configured means staff are always reachable. */
export function withinWindow(now: number, window: DailyWindow | null, timeZone: string): boolean {
  if (!window) return true;
  const m = localMinutes(now, timeZone);
  const from = toMinutes(window.from);
  const to = toMinutes(window.to);
  return from <= to ? m >= from && m < to : m >= from || m < to;
}

/** Epoch ms of local midnight (in `timeZone`) of the day containing `now`; `monthStart` for the 1st of the month. */
export function startOfLocalDay(now: number, timeZone: string, monthStart = false): number {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(now));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  // The zone's offset at `now`: local wall time read as UTC minus the real instant.
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  const offset = asUtc - Math.floor(now / 1000) * 1000;
  return Date.UTC(get("year"), get("month") - 1, monthStart ? 1 : get("day")) - offset;
}
