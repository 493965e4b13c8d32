import { findPersonalNumbers } from "../lib/personal-numbers.ts";

/**
 * Masks personal data before any text leaves for an LLM: ID numbers, phone numbers, names and
 * street addresses become placeholders. Over-masking is fine; a leak is not.
 */

const ID_NUMBER = /(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])/g;
const MOBILE = /(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?!\d)/g;
const LANDLINE = /(?<!\d)(?:0\d{2,3}[-\s]?)?[2-9]\d{6,7}(?!\d)/g;
const LONG_DIGITS = /\d{7,}/g;

const NAME_CUES = [
  /(我叫|我的名字是|我的名字叫|名字是|名字叫|姓名是|姓名[:：]?)\s*([\u4e00-\u9fa5]{2,4}?)(?=[，,。.!！?？\s]|$|，|的|在|住|身份证|电话|手机|今年)/g,
  /(?<=^|[，,。\s])([\u4e00-\u9fa5]{1,2})(先生|女士|小姐|师傅|阿姨|大哥|大姐)/g,
];

/** A run that ends in a house number or room: 中山东路123号、XX小区5幢2单元301室… */
const ADDRESS =
  /[\u4e00-\u9fa5A-Za-z0-9]{0,16}?(?:路|街|巷|弄|大道|村|小区|花园|公寓|苑|大厦|新村)[\u4e00-\u9fa5A-Za-z0-9\-－]*?(?:\d+\s*(?:号|弄|幢|栋|单元|室|楼|层|组)[\u4e00-\u9fa5A-Za-z0-9\-－]*?)+(?=[，,。.!！?？\s]|$)/g;
const ADDRESS_CUE = /(住在|住址是|地址是|地址[:：]|家住|住址[:：])\s*([^，,。.!！?？\n]{2,40})/g;

export function maskPersonalData(text: string): string {
  // ID and phone numbers in any written form (spaces, dashes, full-width digits, +86) first.
  let t = "";
  let last = 0;
  for (const n of findPersonalNumbers(text)) {
    t += `${text.slice(last, n.start)}${n.kind === "id" || n.kind === "old_id" ? "[身份证号]" : "[电话]"}`;
    last = n.end;
  }
  t += text.slice(last);
  t = t.replace(ID_NUMBER, "[身份证号]");
  t = t.replace(MOBILE, "[电话]");
  t = t.replace(ADDRESS_CUE, (_m, cue: string) => `${cue}[地址]`);
  t = t.replace(ADDRESS, "[地址]");
  t = t.replace(LANDLINE, "[电话]");
  t = t.replace(LONG_DIGITS, "[号码]");
  t = t.replace(NAME_CUES[0]!, (_m, cue: string) => `${cue}[姓名]`);
  t = t.replace(NAME_CUES[1]!, (_m, _name: string, title: string) => `[姓名]${title}`);
  return t;
}
