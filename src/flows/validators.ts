import { z } from "zod";
import { maskIdNumber, maskPhone, normalizeIdNumber } from "../lib/crypto.ts";
import { chineseDate, dayFromIso, dayOf, isoDate, localDay, parseDate, yearsBefore } from "./dates.ts";

/** What a validator knows about the turn. */
export interface ValidationContext {
  now: number;
  timeZone: string;
}

/**
 * A validated value. `value` is what the conversation state keeps (never a clear ID number);
 * `secret` is the clear sensitive value, which the engine encrypts at once and drops; `data`
 * adds fields to the submitted application.
 */
export type ValidationResult =
  | { ok: true; value: string; secret?: string; data?: Record<string, string> }
  | { ok: false; reason: string };

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
}

const fail = (reason: string): ValidationResult => ({ ok: false, reason });
const define = <O>(v: Validator<O>): Validator<O> => v;

const halfWidth = (s: string) =>
  s.replace(/[０-９Ａ-Ｚａ-ｚ]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, " ");

// ── Chinese name ────────────────────────────────────────────────────────────────────────────

export function checkChineseName(input: string): ValidationResult {
  const text = halfWidth(input)
    .trim()
    .replace(/^(我叫|我的名字是|我的名字叫|名字是|名字叫|姓名是|姓名[:：]|我是)/, "")
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
  return { ok: true, value: text };
}

// ── ID number (GB 11643) ────────────────────────────────────────────────────────────────────

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = "10X98765432";
const PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71,
  81, 82, 83,
]);

/** The check character GB 11643 prescribes for the first 17 digits. */
export function idCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (ID_WEIGHTS[i] as number);
  return ID_CHECK[sum % 11] as string;
}

/** Strips labels and separators a resident may type around an ID number. */
function idCandidate(input: string): string {
  return normalizeIdNumber(halfWidth(input).replace(/身份证号?码?|号码|是|[:：\-\s]/g, ""));
}

/** True when the text has the shape of an 18-character ID number (valid or not). */
export function looksLikeIdNumber(input: string): boolean {
  return /^\d{17}[\dX]$/.test(idCandidate(input));
}

export function checkIdNumber(input: string, ctx: ValidationContext): ValidationResult {
  const id = idCandidate(input);
  if (/^\d{15}$/.test(id)) return fail("这是老的15位身份证号，请填写现在使用的18位身份证号。");
  if (!/^\d{17}[\dX]$/.test(id)) {
    const digits = id.replace(/[^\dX]/g, "").length;
    if (/^[\dX]+$/.test(id)) return fail(`身份证号是18位，您输入的是${digits}位，麻烦核对一下。`);
    return fail("身份证号由18位数字组成（最后一位可能是X），请只输入号码。");
  }
  if (!PROVINCES.has(Number(id.slice(0, 2)))) return fail("身份证号开头的地区码不对，麻烦对照身份证再核对一下。");
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const birth = dayOf(y, m, d);
  if (birth === null || y < 1900) {
    return fail(`身份证号第7到14位是出生日期，“${id.slice(6, 14)}”不是一个有效的日期，可能输错了，麻烦核对一下。`);
  }
  if (birth > localDay(ctx.now, ctx.timeZone)) return fail("身份证号里的出生日期晚于今天，可能输错了，麻烦核对一下。");
  if (idCheckCharacter(id) !== id[17]) {
    return fail("这个身份证号的校验位（最后一位）对不上，可能有一位输错了，麻烦对照身份证再输一次。");
  }
  return { ok: true, value: maskIdNumber(id), secret: id };
}

// ── Phone ───────────────────────────────────────────────────────────────────────────────────

export function checkPhone(input: string, allowLandline: boolean): ValidationResult {
  const raw = halfWidth(input).replace(/手机号?码?|电话号?码?|号码|是|[:：\s()（）]/g, "");
  const landline = raw.replace(/^\+?86-?(?=0)/, "");
  if (allowLandline && /^0\d{2,3}-?\d{7,8}$/.test(landline)) return { ok: true, value: landline };
  const digits = raw.replace(/-/g, "").replace(/^(\+?86)(?=1\d{10}$)/, "");
  if (!/^\d+$/.test(digits)) return fail("手机号只需要输入数字。");
  if (digits.length !== 11) return fail(`手机号是11位数字，您输入的是${digits.length}位，麻烦核对一下。`);
  if (!/^1[3-9]\d{9}$/.test(digits)) return fail("这不像是大陆手机号（应以13到19开头），麻烦核对一下。");
  return { ok: true, value: digits };
}

// ── Districts ───────────────────────────────────────────────────────────────────────────────

/** Ningbo's ten county-level divisions. */
export const NINGBO_DISTRICTS = [
  "海曙区",
  "江北区",
  "北仑区",
  "镇海区",
  "鄞州区",
  "奉化区",
  "余姚市",
  "慈溪市",
  "宁海县",
  "象山县",
];

export function checkDistrict(input: string): ValidationResult {
  const text = halfWidth(input).replace(/\s+/g, "");
  const found = NINGBO_DISTRICTS.filter((d) => text.includes(d) || text.includes(d.slice(0, 2)));
  if (found.length === 1) return { ok: true, value: found[0] as string };
  if (found.length > 1) return fail("请只选一个区县（市）。");
  return fail(
    "我们只受理宁波市十个区县（市）的申报：海曙区、江北区、北仑区、镇海区、鄞州区、奉化区、余姚市、慈溪市、宁海县、象山县。" +
      "如果您住在高新区、杭州湾新区这类功能区，请选它所在的区县（市）。",
  );
}

// ── Address ─────────────────────────────────────────────────────────────────────────────────

const ADDRESS_MARKER = /[路街道巷弄号村组幢栋室楼苑园区镇乡社居里坊宅府湾城庭院舍寓厦座单元门]/;

export function checkAddress(input: string, minLength: number): ValidationResult {
  const text = halfWidth(input).trim().replace(/\s+/g, " ");
  if (text.replace(/\s/g, "").length < minLength) {
    return fail("地址写得再详细一点：要有街道（乡镇）或社区，再加上小区/路名、楼号和门牌号。");
  }
  if (!/\p{Script=Han}/u.test(text) || !ADDRESS_MARKER.test(text)) {
    return fail("这看起来不像一个地址，请写上街道（乡镇）、社区、路名和门牌号。");
  }
  if (text.length > 120) return fail("地址有点长，请只写街道、社区和详细门牌号。");
  return { ok: true, value: text };
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
    return parsed.error === "invalid" ? fail("这个日期不存在（比如2月没有30日），麻烦再核对一下。") : fail("我没认出这个日期。");
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
  return { ok: true, value: isoDate(parsed.day) };
}

// ── Choices ─────────────────────────────────────────────────────────────────────────────────

export function checkChoice(input: string, choices: string[], synonyms: Record<string, string[]>): ValidationResult {
  const text = halfWidth(input).replace(/[\s。.!！,，]/g, "");
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

const NO_EXACT = /^(否|不是|不对|不|no|n)$/i;
const YES_DESPITE_NEGATION = /(没变|没有变|不变|没换|没有换|没搬|没有搬|还是原来|还是那)/;
const NO_WORDS = /(不一样|不同|变了|换了|搬了|搬家|有变化|改了|新地址|换地方)/;
const YES_START = /^(是|是的|对|对的|没错|一样|一样的|相同|嗯|嗯嗯|yes|y)/i;

export function checkYesNo(input: string, yes: string, no: string): ValidationResult {
  const text = halfWidth(input).replace(/[\s。.!！,，~～]/g, "");
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
  const permit = halfWidth(input)
    .replace(/居住证号?码?|证号|号码|是|[:：\-\s]/g, "")
    .toUpperCase();
  if (/^[0-9A-Z]{6,20}$/.test(permit)) return { ok: true, value: permit, data: { permitNumber: permit } };
  return fail("请输入居住证号码（6到20位字母或数字），或者18位身份证号。");
}

// ── Registry ────────────────────────────────────────────────────────────────────────────────

const none = z.object({}).strict().default({});

/** Validators a flow step can name, each with its own options schema. */
export const validators = {
  chinese_name: define({ options: none, strict: false, validate: (t) => checkChineseName(t) }),
  id_number: define({ options: none, strict: true, validate: (t, _o, ctx) => checkIdNumber(t, ctx) }),
  permit_or_id: define({ options: none, strict: true, validate: (t, _o, ctx) => checkPermitOrId(t, ctx) }),
  mobile_phone: define({
    options: z
      .object({ landline: z.boolean().default(false) })
      .strict()
      .default({ landline: false }),
    strict: true,
    validate: (t, o) => checkPhone(t, o.landline),
    display: (v) => maskPhone(v),
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
  }),
  ningbo_district: define({ options: none, strict: true, validate: (t) => checkDistrict(t), choices: () => NINGBO_DISTRICTS }),
  address: define({
    options: z
      .object({ minLength: z.number().int().min(1).default(6) })
      .strict()
      .default({ minLength: 6 }),
    strict: false,
    validate: (t, o) => checkAddress(t, o.minLength),
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
  }),
  yes_no: define({
    options: z
      .object({ yes: z.string().default("是"), no: z.string().default("否") })
      .strict()
      .default({ yes: "是", no: "否" }),
    strict: true,
    validate: (t, o) => checkYesNo(t, o.yes, o.no),
    choices: (o) => [o.yes, o.no],
  }),
  free_text: define({
    options: z
      .object({ minLength: z.number().int().min(1).default(1), maxLength: z.number().int().min(1).default(200) })
      .strict()
      .default({ minLength: 1, maxLength: 200 }),
    strict: false,
    validate: (t, o) => {
      const text = t.trim();
      if (text.length < o.minLength) return fail(`请至少写${o.minLength}个字。`);
      if (text.length > o.maxLength) return fail(`请写短一点，不超过${o.maxLength}个字。`);
      return { ok: true, value: text };
    },
  }),
};

export type ValidatorName = keyof typeof validators;
export const validatorNames = Object.keys(validators) as [ValidatorName, ...ValidatorName[]];

/** Looks a validator up by name with its options left loosely typed (they were checked at load). */
export function getValidator(name: ValidatorName): Validator<Record<string, unknown>> {
  return validators[name] as unknown as Validator<Record<string, unknown>>;
}
