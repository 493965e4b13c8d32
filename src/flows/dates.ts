import { localDate } from "../lib/local-time.ts";

/**
 * Calendar dates as whole days since 1970-01-01 ("day numbers"), so arithmetic never meets
 * daylight-saving or time-zone surprises. "Today" is the local date of the turn's `now` in the
 * configured time zone.
 */

const DAY_MS = 86_400_000;

let lastDay: { now: number; timeZone: string; day: number } | undefined;

/** The local calendar day of an instant in a time zone (the last answer is kept: a turn asks several times). */
export function localDay(now: number, timeZone: string): number {
  if (lastDay?.now === now && lastDay.timeZone === timeZone) return lastDay.day;
  const text = localDate(now, timeZone);
  const [y, m, d] = text.split("-").map(Number) as [number, number, number];
  const day = Math.floor(Date.UTC(y, m - 1, d) / DAY_MS);
  lastDay = { now, timeZone, day };
  return day;
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

/**
 * A date as read. `sure` is false when the reading rests on a guess the resident should
 * confirm: a year or month filled in by rolling back ("12月25日" said in November is last
 * December), or a vague expression ("月初", "上个月底", "两个月前", "15号左右").
 */
export type DateParse =
  | { ok: true; day: number; sure: boolean }
  | { ok: false; error: "unrecognised" | "invalid" | "incomplete" };

/** What a resident may put around a date: "是…", "大概…", "…搬进来的", "…左右". */
const LEAD = /^(是|在|于|大概是|大概|大约是|大约|差不多是|差不多|应该是|应该|日期是|时间是|我是|就是)+/;
const TAIL =
  /(搬进来|搬进去|搬过来|搬过去|搬来|搬进|搬入|入住|住进来|住进去|住进|住过来|来的|搬走|搬离|搬出去|搬出|离开|搬|走|过来|进来|办|开始)?(的|了|吧|啊|呀)*$/;
const VAGUE = /大概|大约|差不多|左右|前后|估计|好像/;

function normalizeDateText(input: string): string {
  return input
    .replace(/\s+/g, "")
    .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/(星期|礼拜|周)(日|天)/g, "$1日")
    .replace(/[〇零一二两三四五六七八九十]+(?=[年月日号天个周星礼])/g, (run) => chineseNumber(run))
    .replace(/(?<=周|星期|礼拜)[一二三四五六七]/g, (c) => String(CN_DIGITS[c]))
    .replace(/(?<=月)[〇零一二两三四五六七八九十]+/g, (run) => chineseNumber(run))
    .replace(/[。.!！,，~～]+$/, "")
    .replace(LEAD, "")
    .replace(/(左右|前后)/g, "")
    .replace(TAIL, "");
}

/**
 * Understands 2026-11-20, 2026/11/20, 2026.11.20, 2026年11月20日, 26年11月20日, 20261120,
 * 11月20日/号, 十一月二十号, 11-20, 20号, 今天, 昨天, 前天, 大前天, 3天前 (三天前), 2周前,
 * 两个月前, 上周五, 这周一, 周五, 上个月15号, 这个月3号, 月初/月中/月底, 上个月底, 去年12月3日.
 * Without a year, `preferPast` picks the latest such date not after today (and says it guessed).
 */
export function parseDate(input: string, today: number, preferPast = true): DateParse {
  const vague = VAGUE.test(input);
  const text = normalizeDateText(input);
  const result = read(text, today, preferPast);
  return result.ok && vague ? { ...result, sure: false } : result;
}

// Helpers of read(), at module level: tsx (esbuild's keepNames) names every closure made in a
// call with Object.defineProperty, which on the per-message path is measurable.
const sure = (day: number | null, isSure = true): DateParse =>
  day === null ? { ok: false, error: "invalid" } : { ok: true, day, sure: isSure };

/** Month `back` months before y-month, as [year, month]. */
function monthBack(y: number, month: number, back: number): [number, number] {
  const total = y * 12 + (month - 1) - back;
  return [Math.floor(total / 12), (total % 12) + 1];
}

function endOfMonth(yy: number, mm: number): number | null {
  for (let d = 31; d >= 28; d--) {
    const day = dayOf(yy, mm, d);
    if (day !== null) return day;
  }
  return null;
}

function part(yy: number, mm: number, which: string): number | null {
  return which === "初" || which === "上旬"
    ? dayOf(yy, mm, 1)
    : which === "中" || which === "中旬"
      ? dayOf(yy, mm, 15)
      : which === "下旬"
        ? dayOf(yy, mm, 25)
        : endOfMonth(yy, mm);
}

const backWord = (w: string | undefined) => (w === "上上" ? 2 : w === "上" ? 1 : 0);

const RELATIVE: Readonly<Record<string, number>> = {
  今天: 0,
  今日: 0,
  今儿: 0,
  昨天: 1,
  昨日: 1,
  昨儿: 1,
  前天: 2,
  前日: 2,
  大前天: 3,
};

function read(text: string, today: number, preferPast: boolean): DateParse {
  const { y, m: month } = partsOf(today);
  if (Object.hasOwn(RELATIVE, text)) return sure(today - (RELATIVE[text] as number));

  let m = /^(\d{1,3})(?:天|日)(?:之前|以前|前)$/.exec(text);
  if (m) return sure(today - Number(m[1]));
  m = /^(\d{1,2})个?(?:周|星期|礼拜)(?:之前|以前|前)$/.exec(text);
  if (m) return sure(today - 7 * Number(m[1]));
  m = /^(\d{1,2}|半)个月(?:之前|以前|前)$/.exec(text);
  if (m) {
    if (m[1] === "半") return sure(today - 15, false);
    const [yy, mm] = monthBack(y, month, Number(m[1]));
    const { d } = partsOf(today);
    return sure(dayOf(yy, mm, d) ?? endOfMonth(yy, mm), false);
  }

  m = /^(上上|上|这|本|)个?(?:周|星期|礼拜)([1-7日天末])$/.exec(text);
  if (m) {
    const weekday = WEEKDAY[m[2] as string] as number;
    const thisMonday = today - mondayIndex(today);
    let day = thisMonday - 7 * backWord(m[1]) + weekday - 1;
    if (m[1] === "" && preferPast && day > today) day -= 7;
    return sure(day);
  }

  m = /^(\d{4})(?:[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?|(\d{2})(\d{2}))$/.exec(text);
  if (m) return sure(dayOf(Number(m[1]), Number(m[2] ?? m[4]), Number(m[3] ?? m[5])));
  m = /^(\d{2})年(\d{1,2})月(\d{1,2})[日号]?$/.exec(text);
  if (m) return sure(dayOf(2000 + Number(m[1]), Number(m[2]), Number(m[3])));
  m = /^(去年|今年|前年)(\d{1,2})月(\d{1,2})[日号]?$/.exec(text);
  if (m) return sure(dayOf(y - (m[1] === "去年" ? 1 : m[1] === "前年" ? 2 : 0), Number(m[2]), Number(m[3])));

  // Parts of a month: 月初, 上个月底, 11月中旬, 去年12月底 — vague, so always confirmed.
  m = /^(?:(上上|上|这|本)个?月|(去年|今年)?(\d{1,2})月|月)(初|中|底|末|上旬|中旬|下旬)$/.exec(text);
  if (m) {
    let [yy, mm] = m[3] ? [y - (m[2] === "去年" ? 1 : 0), Number(m[3])] : monthBack(y, month, backWord(m[1]));
    if (mm < 1 || mm > 12) return { ok: false, error: "invalid" };
    let day = part(yy, mm, m[4] as string);
    if (m[3] && !m[2] && preferPast && day !== null && day > today)
      [yy, mm, day] = [yy - 1, mm, part(yy - 1, mm, m[4] as string)];
    return sure(day, false);
  }
  m = /^(上上|上|这|本)个?月(\d{1,2})[日号]?$/.exec(text);
  if (m) {
    const [yy, mm] = monthBack(y, month, backWord(m[1]));
    return sure(dayOf(yy, mm, Number(m[2])));
  }
  if (/^(上上|上|这|本)?个?月$|^(去年|今年|前年)$|^(上上|上|这|本)?(周|星期|礼拜)$/.test(text)) {
    return { ok: false, error: "incomplete" };
  }

  // Month and day without a year: this year, or last year when that would be in the future.
  m = /^(\d{1,2})(?:月(\d{1,2})[日号]?|[-/](\d{1,2}))$/.exec(text);
  if (m) {
    const mm = Number(m[1]);
    const dd = Number(m[2] ?? m[3]);
    const day = dayOf(y, mm, dd);
    if (day === null) return { ok: false, error: "invalid" };
    if (preferPast && day > today) return sure(dayOf(y - 1, mm, dd), false);
    return sure(day);
  }

  // A day alone: this month, or last month when that would be in the future.
  m = /^(本月|这个月)?(\d{1,2})[日号]$/.exec(text);
  if (m) {
    const dd = Number(m[2]);
    const day = dayOf(y, month, dd);
    if (day !== null && (!preferPast || day <= today)) return sure(day);
    const [py, pm] = monthBack(y, month, 1);
    return sure(dayOf(py, pm, dd), false);
  }

  return { ok: false, error: "unrecognised" };
}

/**
 * Date expressions inside a longer message ("…上个月15号搬进来的，租的房子"), for taking several
 * answers from one message. Deliberately stricter than parseDate: a bare "15号" counts only
 * before a word of moving ("15号搬进来的"), so house numbers ("天童南路15号") are never dates.
 */
const N = "[0-9０-９〇零一二两三四五六七八九十]";
const DATE_SPANS = new RegExp(
  [
    `(?:${N}{4}|${N}{2})年${N}{1,2}月${N}{1,3}[日号]?`,
    "(?<![0-9０-９])[0-9０-９]{4}[-/.][0-9０-９]{1,2}[-/.][0-9０-９]{1,2}(?![0-9０-９])",
    `(?:去年|今年|前年)?(?<![0-9０-９]|明年|后年|下个|下)${N}{1,2}月(?:${N}{1,3}[日号]?|[初中底末]|上旬|中旬|下旬)`,
    `(?:上上|上|这|本)个?月(?:${N}{1,3}[日号]?|[初中底末]|上旬|中旬|下旬)`,
    "月[初中底末]",
    "大前天|前天|昨天|昨日|今天|今日",
    `(?<![0-9０-９])${N}{1,3}天(?:之前|以前|前)`,
    `(?<![0-9０-９])${N}{1,2}个?(?:周|星期|礼拜)(?:之前|以前|前)`,
    `(?:(?<![0-9０-９])${N}{1,2}|半)个月(?:之前|以前|前)`,
    "(?:上上|上|这|本)个?(?:周|星期|礼拜)[1-7一二三四五六日天末]",
    "(?<!下|下个)(?:星期|礼拜)[1-7一二三四五六日天]",
    `(?<![0-9０-９路街巷弄道号幢栋室楼元\\-])${N}{1,2}[日号](?=(?:左右)?(?:搬|入住|住进|住过来|来的|走的|离开))`,
  ].join("|"),
  "g",
);

/** Every date expression has one of these characters. */
const MAY_HOLD_DATE = /[0-9０-９〇零一二两三四五六七八九十今昨前天周星礼月]/;

export interface DateSpan {
  start: number;
  end: number;
  text: string;
}

/** The date expressions in a message, left to right (not yet checked: parseDate does that). */
export function findDateSpans(text: string): DateSpan[] {
  if (!MAY_HOLD_DATE.test(text)) return [];
  return [...text.matchAll(DATE_SPANS)].map((m) => ({
    start: m.index as number,
    end: (m.index as number) + m[0].length,
    text: m[0],
  }));
}
