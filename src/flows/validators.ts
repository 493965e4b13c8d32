import { z } from "zod";
import {
  findPersonalNumbers,
  hasValidCheckCharacter,
  maskIdNumber,
  maskPhone,
  type PersonalNumber,
  toHalfWidth,
} from "../lib/personal-numbers.ts";
import { parseAddressAt } from "./address.ts";
import { chineseDate, dayFromIso, dayOf, isoDate, localDay, parseDate, yearsBefore } from "./dates.ts";
import { districtNames, districts, findTown } from "./divisions.ts";
import { type MentionKind, type Spot, startsWithSurname } from "./mentions.ts";

export { idCheckCharacter } from "../lib/personal-numbers.ts";

/** What a validator knows about the turn. */
export interface ValidationContext {
  now: number;
  timeZone: string;
}

/**
 * A validated value. `value` is what the conversation state keeps (never a clear ID number);
 * `secret` is the clear sensitive value, which the engine encrypts at once and drops; `data`
 * adds fields to the submitted application; `confirm` is a question to ask before the value is
 * used, when reading it took a guess ("是2025年12月25日吗？").
 */
export type ValidationResult =
  | { ok: true; value: string; secret?: string; data?: Record<string, string>; confirm?: string }
  | { ok: false; reason: string };
export type ValidValue = Extract<ValidationResult, { ok: true }>;

export interface Validator<O = unknown> {
  options: z.ZodType<O>;
  /**
   * Strict formats (ID, phone, date, fixed choices) are tried before the text is taken as a
   * question; free text (names, addresses) is checked for a question first.
   */
  strict: boolean;
  validate(text: string, options: O, ctx: ValidationContext): ValidationResult;
  /** The fixed answers offered as buttons / numbered options. */
  choices?(options: O): string[];
  /** How a stored value reads in the summary. */
  display?(value: string): string;
  /** Kinds of values this validator takes when they turn up in a longer message (see mentions.ts). */
  mentions?(options: O): readonly MentionKind[];
  /** This step's own words in a longer message (a choice's synonyms, a reason after "因为"). */
  spot?(text: string, options: O): Spot[];
  /** Keys `data` may add to the application: the flow file must give staff a label for each. */
  dataKeys?(options: O): readonly string[];
  /**
   * True when the text is too short and plain to hold more than this one value ("13812345678",
   * "上周五", "张三"): the step's answer is read without looking for others (the common case, and
   * the cheap one).
   */
  single?(text: string, options: O): boolean;
}

const PLAIN = /^[^\s,，。；;、!！?？]{1,12}$/;
const NUMBER_ONLY = /^\+?[0-9０-９XxＸｘ]{6,20}$/;

const fail = (reason: string): ValidationResult => ({ ok: false, reason });
const define = <O>(v: Validator<O>): Validator<O> => v;

// ── Chinese name ────────────────────────────────────────────────────────────────────────────

export function checkChineseName(input: string): ValidationResult {
  const text = toHalfWidth(input)
    .trim()
    .replace(/^(我叫|我的名字是|我的名字叫|名字是|名字叫|姓名是|姓名[:：]|姓名|我是)/, "")
    .replace(/[。!！,，\s]+$/g, "")
    .replace(/[•・．.]/g, "·")
    .replace(/\s+/g, "");
  if (text === "") return fail("请告诉我您的姓名。");
  if (/\d/.test(text)) return fail("姓名里不应该有数字。");
  if (!/^\p{Script=Han}+(·\p{Script=Han}+)*$/u.test(text))
    return fail("请填写身份证上的中文姓名（只填汉字，少数民族姓名中间的点可以保留）。");
  const han = text.replace(/·/g, "").length;
  if (han < 2) return fail("姓名至少两个字，请填写完整的姓名。");
  if (han > 20) return fail("这个姓名有点长，请只填写身份证上的姓名。");
  const plain = text.replace(/·/g, "");
  if (NOT_NAME_WORDS.test(plain) || isPlaceName(plain)) {
    return fail(`“${text}”看起来不像姓名。请填写身份证上的姓名，例如：王小明。`);
  }
  // A name without a common surname (and not a minority name with "·") may still be right: asked, not refused.
  if (!text.includes("·") && !startsWithSurname(text)) return { ok: true, value: text, confirm: `您的姓名是“${text}”，对吗？` };
  return { ok: true, value: text };
}

/** Words no name contains: answers that are not a name ("不知道", "谢谢", "同意"), questions, the flow's own words. */
const NOT_NAME_WORDS =
  /知道|清楚|没有|谢谢|你好|您好|同意|不用|算了|忘了|可以|什么|怎么|为什么|哪里|多少|吗|呢|吧|啊|哦|嗯|身份证|手机|电话|号码|地址|租房|房东|登记|签注|居住证|取消|人工/;

/** A Ningbo district, street or township, or a word shaped like a place ("首南街道", "鄞州区", "天童南路"). */
function isPlaceName(text: string): boolean {
  if (districts.some((d) => d.name === text || d.short === text) || findTown(text)) return true;
  // Roads only from four characters: "王一路" may be a name, "天童南路" is not.
  return (
    (text.length >= 3 && /(省|市|区|县|街道|社区|小区|镇|乡|村|大道|公寓|宿舍)$/.test(text)) ||
    (text.length >= 4 && /[路街]$/.test(text))
  );
}

// ── ID number (GB 11643) ────────────────────────────────────────────────────────────────────

const PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71,
  81, 82, 83,
]);

/** Checks an 18-character ID number the way GB 11643 builds it: region, birth date, check character. */
export function checkIdDigits(id: string, ctx: ValidationContext): ValidationResult {
  if (!PROVINCES.has(Number(id.slice(0, 2)))) return fail("身份证号开头的地区码不对，麻烦对照身份证再核对一下。");
  const y = Number(id.slice(6, 10));
  const birth = dayOf(y, Number(id.slice(10, 12)), Number(id.slice(12, 14)));
  if (birth === null || y < 1900) {
    return fail(`身份证号第7到14位是出生日期，“${id.slice(6, 14)}”不是一个有效的日期，可能输错了，麻烦核对一下。`);
  }
  if (birth > localDay(ctx.now, ctx.timeZone)) return fail("身份证号里的出生日期晚于今天，可能输错了，麻烦核对一下。");
  if (!hasValidCheckCharacter(id)) {
    return fail("这个身份证号的校验位（最后一位）对不上，可能有一位输错了，麻烦对照身份证再输一次。");
  }
  return { ok: true, value: maskIdNumber(id), secret: id };
}

/** The ID number in a text as the normaliser reads it (spaces, dashes, full-width digits, "身份证号是…"). */
function idIn(input: string): PersonalNumber | undefined {
  return findPersonalNumbers(input).find((n) => n.kind === "id" || n.kind === "old_id");
}

/** True when the text holds something shaped like an 18-character ID number (valid or not). */
export function looksLikeIdNumber(input: string): boolean {
  return idIn(input)?.kind === "id";
}

export function checkIdNumber(input: string, ctx: ValidationContext): ValidationResult {
  const found = idIn(input);
  if (found?.kind === "old_id") return fail("这是老的15位身份证号，请填写现在使用的18位身份证号。");
  if (found) return checkIdDigits(found.value, ctx);
  const rest = toHalfWidth(input)
    .replace(/身份证号?码?|号码|是|[:：\-\s]/g, "")
    .toUpperCase();
  if (/^[\dX]+$/.test(rest)) return fail(`身份证号是18位，您输入的是${rest.length}位，麻烦核对一下。`);
  return fail("身份证号由18位数字组成（最后一位可能是X），请只输入号码。");
}

// ── Phone ───────────────────────────────────────────────────────────────────────────────────

export function checkPhone(input: string, allowLandline: boolean): ValidationResult {
  const found = findPersonalNumbers(input);
  const mobile = found.find((n) => n.kind === "mobile");
  if (mobile) return { ok: true, value: mobile.value };
  const landline = found.find((n) => n.kind === "landline");
  if (landline && allowLandline) return { ok: true, value: landline.value };
  const digits = toHalfWidth(input)
    .replace(/手机号?码?|电话号?码?|号码|是|[:：\s()（）-]/g, "")
    .replace(/^\+?86(?=\d{11}$)/, "");
  if (!/^\d+$/.test(digits)) return fail("手机号只需要输入数字。");
  if (digits.length !== 11) return fail(`手机号是11位数字，您输入的是${digits.length}位，麻烦核对一下。`);
  return fail("这不像是大陆手机号（应以13到19开头），麻烦核对一下。");
}

// ── Districts ───────────────────────────────────────────────────────────────────────────────

export function checkDistrict(input: string): ValidationResult {
  const text = toHalfWidth(input).replace(/\s+/g, "");
  const found = districts.filter((d) => text.includes(d.name) || text.includes(d.short)).map((d) => d.name);
  // A street or township names its district too: 首南街道 → 鄞州区.
  const town = found.length === 0 ? [...text.matchAll(/[\p{Script=Han}]{2,8}?(街道|镇|乡)/gu)].map((m) => findTown(m[0])) : [];
  for (const t of town) if (t && !found.includes(t.district)) found.push(t.district);
  if (found.length === 1) return { ok: true, value: found[0] as string };
  if (found.length > 1) return fail("请只选一个区县（市）。");
  return fail(
    `我们只受理宁波市十个区县（市）的申报：${districtNames.join("、")}。` +
      "如果您住在高新区、杭州湾新区这类功能区，请选它所在的区县（市）。",
  );
}

// ── Address ─────────────────────────────────────────────────────────────────────────────────

const ADDRESS_EXAMPLE = "例如：首南街道天童社区 天童南路88号3幢501室";
const NOT_AN_ADDRESS = /^(不知道|不清楚|不记得|忘了|没有|无|随便|不想说|不方便)/;

/**
 * An address: a named place (street, township, community, road, estate) and a number (house,
 * building, room), making up most of the text. Dates, sentences and "不知道" are refused with
 * an example, so "上个月15号" is never taken for an address.
 */
export function checkAddress(input: string, minLength: number): ValidationResult {
  const text = toHalfWidth(input).trim().replace(/\s+/g, " ");
  const compact = text.replace(/[\s,，。.!！]/g, "");
  const parsed = text.length > 120 ? null : parseAddressAt(text, 0);
  const share = parsed ? parsed.covered / compact.length : 0;
  if (!parsed?.named || share < 0.6 || compact.length < minLength) {
    // Why not, in the words that help: a date, "不知道", too short, or not an address at all.
    if (parseDate(compact, 0).ok)
      return fail(`“${text}”看起来是一个日期，不是地址。请告诉我您住的详细地址，${ADDRESS_EXAMPLE}。`);
    if (NOT_AN_ADDRESS.test(compact))
      return fail(`地址需要写清楚，才能交给社区核实。请写上街道（乡镇）、路名和门牌号，${ADDRESS_EXAMPLE}。`);
    if (text.length > 120) return fail("地址有点长，请只写街道、社区和详细门牌号。");
    if (compact.length < minLength || (parsed?.named && share >= 0.6)) {
      return fail(`地址写得再详细一点：要有街道（乡镇）或社区，再加上小区/路名、楼号和门牌号，${ADDRESS_EXAMPLE}。`);
    }
    return fail(`这看起来不像一个地址，请写上街道（乡镇）、社区、路名和门牌号，${ADDRESS_EXAMPLE}。`);
  }
  if (!parsed.numbered) {
    return fail(`地址写得再详细一点：请加上门牌号，或者小区的楼号和房号，${ADDRESS_EXAMPLE}。`);
  }
  // The district, city and province are kept apart (the district has its own step).
  const value = text.slice(parsed.bodyStart).trim();
  const data: Record<string, string> = {};
  if (parsed.street) data.street = parsed.street;
  if (parsed.community) data.community = parsed.community;
  if (parsed.road) data.road = parsed.road;
  if (parsed.building) data.building = parsed.building;
  return { ok: true, value: value || parsed.text, data };
}

// ── Dates ───────────────────────────────────────────────────────────────────────────────────

export interface DateOptions {
  notFuture: boolean;
  maxPastYears?: number | undefined;
}

export function checkDate(input: string, options: DateOptions, ctx: ValidationContext): ValidationResult {
  const today = localDay(ctx.now, ctx.timeZone);
  const parsed = parseDate(input, today, options.notFuture);
  if (!parsed.ok) {
    if (parsed.error === "invalid") return fail("这个日期不存在（比如2月没有30日），麻烦再核对一下。");
    if (parsed.error === "incomplete") return fail("请告诉我具体是哪一天，比如“上个月15号”“11月3日”。");
    return fail("我没认出这个日期。");
  }
  if (options.notFuture && parsed.day > today) return fail(`日期不能晚于今天（${chineseDate(today)}）。`);
  if (options.maxPastYears !== undefined) {
    const earliest = yearsBefore(today, options.maxPastYears);
    if (parsed.day < earliest) {
      return fail(
        `这个日期（${chineseDate(parsed.day)}）已经超过一年了，在线只能申报一年以内（${chineseDate(earliest)}以后）的日期。` +
          "超过一年的情况，请到居住地的社区或派出所窗口办理，也可以回复“转人工”咨询。",
      );
    }
  }
  const value = isoDate(parsed.day);
  return parsed.sure ? { ok: true, value } : { ok: true, value, confirm: `是${chineseDate(parsed.day)}吗？` };
}

// ── Choices ─────────────────────────────────────────────────────────────────────────────────

export function checkChoice(input: string, choices: string[], synonyms: Record<string, string[]>): ValidationResult {
  const text = toHalfWidth(input).replace(/[\s。.!！,，]/g, "");
  const exact = choices.find((c) => c === text);
  if (exact) return { ok: true, value: exact };
  const hits = new Set<string>();
  for (const c of choices) {
    if (text.includes(c)) hits.add(c);
    for (const s of synonyms[c] ?? []) if (text.includes(s)) hits.add(c);
  }
  if (hits.size === 1) return { ok: true, value: [...hits][0] as string };
  return fail(hits.size > 1 ? "请只选一项。" : "请从下面的选项里选一个（回复数字或文字都可以）。");
}

type WordList = { value: string; w: string }[];
const wordLists = new WeakMap<object, WordList>();

/** The words to look for, longest first, worked out once per step (the options object is the step's). */
function wordList(key: object, words: () => Record<string, string[]>): WordList {
  let list = wordLists.get(key);
  if (!list) {
    list = Object.entries(words())
      .flatMap(([value, ws]) => ws.filter((w) => w.length >= 2).map((w) => ({ value, w })))
      .sort((a, b) => b.w.length - a.w.length);
    wordLists.set(key, list);
  }
  return list;
}

/** Where a choice or one of its synonyms (two characters or more) is named in a longer message. */
function spotWords(text: string, list: WordList): Spot[] {
  const spots: Spot[] = [];
  let taken: boolean[] | undefined;
  for (const { value, w } of list) {
    for (let at = text.indexOf(w); at >= 0; at = text.indexOf(w, at + 1)) {
      taken ??= [];
      if (taken.slice(at, at + w.length).some(Boolean)) continue;
      for (let i = at; i < at + w.length; i++) taken[i] = true;
      spots.push({ start: at, end: at + w.length, text: value });
    }
  }
  return spots.sort((a, b) => a.start - b.start);
}

const NO_EXACT = /^(否|不是|不对|不|no|n)$/i;
const YES_DESPITE_NEGATION = /(没变|没有变|不变|没换|没有换|没搬|没有搬|还是原来|还是那)/;
const NO_WORDS = /(不一样|不同|变了|换了|搬了|搬家|有变化|改了|新地址|换地方)/;
const YES_START = /^(是|是的|对|对的|没错|一样|一样的|相同|嗯|嗯嗯|yes|y)/i;

export function checkYesNo(input: string, yes: string, no: string): ValidationResult {
  const text = toHalfWidth(input).replace(/[\s。.!！,，~～]/g, "");
  if (text === yes) return { ok: true, value: yes };
  if (text === no || NO_EXACT.test(text)) return { ok: true, value: no };
  if (YES_DESPITE_NEGATION.test(text)) return { ok: true, value: yes };
  if (NO_WORDS.test(text)) return { ok: true, value: no };
  if (YES_START.test(text)) return { ok: true, value: yes };
  return fail(`请回复“${yes}”或“${no}”。`);
}

// ── Permit or ID number ─────────────────────────────────────────────────────────────────────

export function checkPermitOrId(input: string, ctx: ValidationContext): ValidationResult {
  // An 18-character ID-shaped number is held to the ID rules: a mistyped ID must not slip
  // through as a "permit number" that staff can then never match.
  if (looksLikeIdNumber(input)) return checkIdNumber(input, ctx);
  const permit = toHalfWidth(input)
    .replace(/居住证号?码?|证号|号码|是|[:：\-\s]/g, "")
    .toUpperCase();
  if (/^[0-9A-Z]{6,20}$/.test(permit)) return { ok: true, value: permit, data: { permitNumber: permit } };
  return fail("请输入居住证号码（6到20位字母或数字），或者18位身份证号。");
}

// ── Free text ───────────────────────────────────────────────────────────────────────────────

/** The rest of the clause after a cue word: "因为回老家了，…" → "回老家了". */
function spotAfterCues(text: string, cues: string[]): Spot[] {
  const spots: Spot[] = [];
  for (const cue of [...cues].sort((a, b) => b.length - a.length)) {
    const at = text.indexOf(cue);
    if (at < 0) continue;
    const from = at + cue.length;
    const clause = /^[是:：\s]*([^，,。；;！!？?\n]+)/.exec(text.slice(from));
    if (!clause?.[1]) continue;
    const start = from + clause[0].length - clause[1].length;
    spots.push({ start: at, end: start + clause[1].trimEnd().length, text: clause[1].trim() });
    break;
  }
  return spots;
}

// ── Registry ────────────────────────────────────────────────────────────────────────────────

const none = z.object({}).strict().default({});

/** Validators a flow step can name, each with its own options schema. */
export const validators = {
  chinese_name: define({
    options: none,
    strict: false,
    validate: (t) => checkChineseName(t),
    mentions: () => ["name"],
    single: (t) => /^\p{Script=Han}{2,3}$/u.test(t),
  }),
  id_number: define({
    options: none,
    strict: true,
    validate: (t, _o, ctx) => checkIdNumber(t, ctx),
    mentions: () => ["id", "old_id"],
    single: (t) => NUMBER_ONLY.test(t),
  }),
  permit_or_id: define({
    options: none,
    strict: true,
    validate: (t, _o, ctx) => checkPermitOrId(t, ctx),
    mentions: () => ["id", "old_id", "permit"],
    single: (t) => /^[0-9A-Za-z０-９]{6,20}$/.test(t),
    dataKeys: () => ["permitNumber"],
  }),
  mobile_phone: define({
    options: z
      .object({ landline: z.boolean().default(false) })
      .strict()
      .default({ landline: false }),
    strict: true,
    validate: (t, o) => checkPhone(t, o.landline),
    display: (v) => maskPhone(v),
    mentions: (o) => (o.landline ? ["mobile", "landline"] : ["mobile"]),
    single: (t) => NUMBER_ONLY.test(t),
  }),
  date: define({
    options: z
      .object({ notFuture: z.boolean().default(true), maxPastYears: z.number().int().positive().optional() })
      .strict()
      .default({ notFuture: true }),
    strict: true,
    validate: (t, o, ctx) => checkDate(t, o, ctx),
    display: (v) => {
      const day = dayFromIso(v);
      return day === null ? v : chineseDate(day);
    },
    mentions: () => ["date"],
    single: (t) => PLAIN.test(t),
  }),
  ningbo_district: define({
    options: none,
    strict: true,
    validate: (t) => checkDistrict(t),
    choices: () => [...districtNames],
    mentions: () => ["district"],
    single: (t) => /^[0-9]{1,2}$/.test(t) || districts.some((d) => t === d.name || t === d.short),
  }),
  address: define({
    options: z
      .object({ minLength: z.number().int().min(1).default(6) })
      .strict()
      .default({ minLength: 6 }),
    strict: false,
    validate: (t, o) => checkAddress(t, o.minLength),
    mentions: () => ["address"],
    dataKeys: () => ["street", "community", "road", "building"],
  }),
  choice: define({
    options: z
      .object({
        choices: z.array(z.string().min(1)).min(2),
        synonyms: z.record(z.string(), z.array(z.string().min(1))).default({}),
      })
      .strict(),
    strict: true,
    validate: (t, o) => checkChoice(t, o.choices, o.synonyms),
    choices: (o) => o.choices,
    single: (t) => t.length <= 6 && PLAIN.test(t),
    spot: (t, o) =>
      spotWords(
        t,
        wordList(o, () => Object.fromEntries(o.choices.map((c) => [c, [c, ...(o.synonyms[c] ?? [])]]))),
      ),
  }),
  yes_no: define({
    options: z
      .object({ yes: z.string().default("是"), no: z.string().default("否") })
      .strict()
      .default({ yes: "是", no: "否" }),
    strict: true,
    validate: (t, o) => checkYesNo(t, o.yes, o.no),
    choices: (o) => [o.yes, o.no],
    single: (t) => t.length <= 6 && PLAIN.test(t),
    // Only the unmistakable phrases count in a longer message ("地址没变", "搬家了"), never a bare 是.
    spot: (t, o) =>
      spotWords(
        t,
        wordList(o, () => ({
          [o.yes]: ["没变", "没有变", "没换", "没有换", "没搬", "没有搬", "还是原来"],
          [o.no]: ["变了", "换了地址", "搬了家", "搬家了", "新地址", "换地方"],
        })),
      ),
  }),
  free_text: define({
    options: z
      .object({
        minLength: z.number().int().min(1).default(1),
        maxLength: z.number().int().min(1).default(200),
        /** Words after which, in a longer message, the rest of the clause is this answer ("因为…"). */
        cues: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ minLength: 1, maxLength: 200, cues: [] }),
    strict: false,
    validate: (t, o) => {
      const text = t.trim();
      if (text.length < o.minLength) return fail(`请至少写${o.minLength}个字。`);
      if (text.length > o.maxLength) return fail(`请写短一点，不超过${o.maxLength}个字。`);
      return { ok: true, value: text };
    },
    spot: (t, o) => spotAfterCues(t, o.cues),
    single: (t) => t.length <= 8 && PLAIN.test(t),
  }),
};

export type ValidatorName = keyof typeof validators;
export const validatorNames = Object.keys(validators) as [ValidatorName, ...ValidatorName[]];

/** Looks a validator up by name with its options left loosely typed (they were checked at load). */
export function getValidator(name: ValidatorName): Validator<Record<string, unknown>> {
  return validators[name] as unknown as Validator<Record<string, unknown>>;
}
