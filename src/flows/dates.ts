import { localDate } from "../lib/local-time.ts";

/**
 * Calendar dates as whole days since 1970-01-01 ("day numbers"), so arithmetic never meets
 * daylight-saving or time-zone surprises. "Today" is the local date of the turn's `now` in the
 * configured time zone.
 */

const DAY_MS = 86_400_000;

/** The local calendar day of an instant in a time zone. */
export function localDay(now: number, timeZone: string): number {
  const text = localDate(now, timeZone);
  const [y, m, d] = text.split("-").map(Number) as [number, number, number];
  return Math.floor(Date.UTC(y, m - 1, d) / DAY_MS);
}

/** The day number of a calendar date, or null when the date does not exist (2月30日). */
export function dayOf(y: number, m: number, d: number): number | null {
  if (!Number.isInteger(y) || !Number.isInteger(m) || !Number.isInteger(d)) return null;
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1000 || y > 9999) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return Math.floor(date.getTime() / DAY_MS);
}

export function partsOf(day: number): { y: number; m: number; d: number } {
  const date = new Date(day * DAY_MS);
  return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate() };
}

/** 2026-11-20 */
export function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** 2026年11月20日 */
export function chineseDate(day: number): string {
  const { y, m, d } = partsOf(day);
  return `${y}年${m}月${d}日`;
}

/** Parses 2026-11-20 back to a day number (null for anything else). */
export function dayFromIso(iso: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? dayOf(Number(m[1]), Number(m[2]), Number(m[3])) : null;
}

/** The same calendar date `years` earlier (29 Feb falls back to 28 Feb). */
export function yearsBefore(day: number, years: number): number {
  const { y, m, d } = partsOf(day);
  return dayOf(y - years, m, d) ?? (dayOf(y - years, m, d - 1) as number);
}

/** 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
function mondayIndex(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

const CN_DIGITS: Record<string, number> = { 〇: 0, 零: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** 二十三 → 23, 二〇二六 → 2026 (digit by digit when there is no 十). */
function chineseNumber(run: string): string {
  if (!run.includes("十")) return [...run].map((c) => CN_DIGITS[c] ?? "").join("");
  const [tens, units] = run.split("十") as [string, string];
  const t = tens === "" ? 1 : (CN_DIGITS[tens] ?? 0);
  const u = units === "" ? 0 : (CN_DIGITS[units] ?? 0);
  return String(t * 10 + u);
}

const WEEKDAY: Record<string, number> = { "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7, 日: 7, 天: 7, 末: 6 };

export type DateParse = { ok: true; day: number } | { ok: false; error: "unrecognised" | "invalid" };

/**
 * Understands 2026-11-20, 2026/11/20, 2026.11.20, 2026年11月20日, 20261120, 11月20日/号, 11-20,
 * 20号, 今天, 昨天, 前天, 大前天, 3天前 (三天前), 2周前, 上周五, 这周一, 周五.
 * Without a year, `preferPast` picks the latest such date not after today.
 */
export function parseDate(input: string, today: number, preferPast = true): DateParse {
  const text = input
    .replace(/\s+/g, "")
    .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/(星期|礼拜|周)(日|天)/g, "$1日")
    .replace(/[〇零一二两三四五六七八九十]+/g, (run) => chineseNumber(run))
    .replace(/^(是|在|大概|大约|应该是|日期是|我是)/, "")
    .replace(/[。.!！,，]+$/, "");

  const relative: Record<string, number> = { 今天: 0, 今日: 0, 昨天: 1, 昨日: 1, 前天: 2, 大前天: 3 };
  for (const [word, back] of Object.entries(relative)) {
    if (new RegExp(`^${word}(搬的|搬进来的|入住的|入住|搬进来)?$`).test(text)) return { ok: true, day: today - back };
  }

  let m = /^(\d{1,3})(天|日)(之?前|以前)/.exec(text);
  if (m) return { ok: true, day: today - Number(m[1]) };
  m = /^(\d{1,2})个?(周|星期|礼拜)(之?前|以前)/.exec(text);
  if (m) return { ok: true, day: today - 7 * Number(m[1]) };

  m = /^(上上|上|这|本|)个?(周|星期|礼拜)([1-7日天末])/.exec(text);
  if (m) {
    const weekday = WEEKDAY[m[3] as string] as number;
    const thisMonday = today - mondayIndex(today);
    const weeksBack = m[1] === "上上" ? 2 : m[1] === "上" ? 1 : 0;
    let day = thisMonday - 7 * weeksBack + weekday - 1;
    if (m[1] === "" && preferPast && day > today) day -= 7;
    return { ok: true, day };
  }

  m = /^(\d{4})(?:[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?|(\d{2})(\d{2}))$/.exec(text);
  if (m) {
    const day = dayOf(Number(m[1]), Number(m[2] ?? m[4]), Number(m[3] ?? m[5]));
    return day === null ? { ok: false, error: "invalid" } : { ok: true, day };
  }

  const { y, m: month } = partsOf(today);
  const withoutYear = (mm: number, dd: number): DateParse => {
    const day = dayOf(y, mm, dd);
    if (day === null) return { ok: false, error: "invalid" };
    if (preferPast && day > today) {
      const lastYear = dayOf(y - 1, mm, dd);
      return lastYear === null ? { ok: false, error: "invalid" } : { ok: true, day: lastYear };
    }
    return { ok: true, day };
  };

  m = /^(\d{1,2})(?:月(\d{1,2})[日号]?|[-/](\d{1,2}))$/.exec(text);
  if (m) return withoutYear(Number(m[1]), Number(m[2] ?? m[3]));

  m = /^(本月|这个月)?(\d{1,2})[日号]$/.exec(text);
  if (m) {
    const dd = Number(m[2]);
    const day = dayOf(y, month, dd);
    if (day !== null && (!preferPast || day <= today)) return { ok: true, day };
    const prev = month === 1 ? dayOf(y - 1, 12, dd) : dayOf(y, month - 1, dd);
    return prev === null ? { ok: false, error: "invalid" } : { ok: true, day: prev };
  }

  return { ok: false, error: "unrecognised" };
}
