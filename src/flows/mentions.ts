import { memoizeRecent } from "../lib/memo.ts";
import { findPersonalNumbers, toHalfWidth } from "../lib/personal-numbers.ts";
import { findAddress } from "./address.ts";
import { findDateSpans } from "./dates.ts";

/**
 * Finding the values in a longer message ("我叫王小明 身份证… 手机… 住鄞州区首南街道… 上个月15号
 * 搬进来的 租的房子"): what kind of value sits where. Which step each one answers is decided in
 * ./extract.ts; whether it is valid, by the step's validator.
 */

export type MentionKind = "id" | "old_id" | "mobile" | "landline" | "permit" | "date" | "district" | "address" | "name";

/** A stretch of the message and the text a validator should check for it. */
export interface Spot {
  start: number;
  end: number;
  text: string;
}

export interface Mention extends Spot {
  kind: MentionKind;
}

/** Replaces the spans with a character no finder reads, so each stretch is read once. */
export function blank(text: string, spans: readonly { start: number; end: number }[]): string {
  if (!spans.length) return text;
  // Indexed by UTF-16 units, as the spans are.
  const out = text.split("");
  for (const s of spans) for (let i = s.start; i < s.end && i < out.length; i++) out[i] = "|";
  return out.join("");
}

/** A permit number: after 居住证号/证号, or letters then digits (NB2025001234). */
const PERMIT =
  /(?:居住证号?码?|证号)[是为:：\s]*([A-Za-z0-9][A-Za-z0-9 -]{4,24}[A-Za-z0-9])|(?<![A-Za-z0-9])([A-Za-z]{1,4}[0-9]{6,16})(?![A-Za-z0-9])/g;

function permits(text: string): Mention[] {
  return [...text.matchAll(PERMIT)]
    .map((m) => {
      const group = m[1] ?? m[2] ?? "";
      const start = (m.index as number) + m[0].lastIndexOf(group);
      return { kind: "permit" as const, start, end: start + group.length, text: group };
    })
    .filter((s) => /^[0-9A-Z]{6,20}$/i.test(s.text.replace(/[\s-]/g, "")));
}

// The most common surnames, for telling a name from other words in a message without a cue.
const SURNAMES =
  "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝";
const COMPOUND_SURNAMES = [
  "欧阳",
  "司马",
  "上官",
  "诸葛",
  "东方",
  "皇甫",
  "尉迟",
  "公孙",
  "慕容",
  "令狐",
  "长孙",
  "宇文",
  "夏侯",
  "端木",
];

export function startsWithSurname(name: string): boolean {
  return SURNAMES.includes(name[0] ?? " ") || COMPOUND_SURNAMES.some((s) => name.startsWith(s));
}

const NAME_CUE =
  /(我叫|我的名字叫|我的名字是|名字叫|名字是|姓名是|姓名[:：]?|本人叫|本人是|本人|我是)[\s:：]*([\p{Script=Han}·•]{2,})/gu;
/** Where a name typed without punctuation ends: "我叫王小明住鄞州区" → 王小明. */
const NAME_END =
  /身份证|手机|电话|号码|证件|住|地址|家在|今年|今天|昨天|前天|上个|这个|去年|是|的|在|和|租|买|自己|单位|宿舍|投靠|搬|户籍|老家|男|女|岁|要|想|办|来|从|宁波/u;

function names(text: string): Mention[] {
  const found: Mention[] = [];
  for (const m of text.matchAll(NAME_CUE)) {
    const cue = m[1] as string;
    let name = (m[2] as string).replace(/•/g, "·");
    const stop = NAME_END.exec(name);
    if (stop) name = name.slice(0, stop.index);
    if (!name.includes("·")) name = name.slice(0, COMPOUND_SURNAMES.some((s) => name.startsWith(s)) ? 4 : 3);
    if (name.replace(/·/g, "").length < 2) continue;
    // "我是…" is a weak cue ("我是来登记的"): only a surname makes it a name.
    if ((cue === "我是" || cue === "本人") && !startsWithSurname(name)) continue;
    const start = (m.index as number) + m[0].length - (m[2] as string).length;
    found.push({ kind: "name", start: m.index as number, end: start + name.length, text: name });
  }
  return found;
}

/** Adds what one finder found, and blanks it so the next finders do not read it again. */
function take(mentions: Mention[], text: string, found: readonly Mention[]): string {
  for (const m of found) mentions.push(m);
  return blank(text, found);
}

/**
 * Every value of a known kind in a message, each stretch read once: numbers, then permits, dates,
 * the address, names. Remembered for the last few messages (a turn may read its message twice:
 * for its values, then to tell whether one value alone can only be what it looks like). The
 * result is shared: read it, never change it.
 */
export const scanMessage: (input: string) => readonly Mention[] = memoizeRecent(scan, 8);

function scan(input: string): readonly Mention[] {
  const mentions: Mention[] = [];
  let text = toHalfWidth(input);
  text = take(
    mentions,
    text,
    findPersonalNumbers(text).map((n) => ({ kind: n.kind, start: n.start, end: n.end, text: n.value })),
  );
  text = take(mentions, text, permits(text));
  // Names with a cue come before dates: "我叫周五" is a name, not a Friday.
  text = take(mentions, text, names(text));
  text = take(
    mentions,
    text,
    findDateSpans(text).map((s) => ({ kind: "date" as const, ...s })),
  );
  const address = findAddress(text);
  if (address) {
    const span = { start: address.start, end: address.end };
    const list: Mention[] = [];
    // The whole stretch as typed (with its district): the address validator reads it the same way.
    if (address.named && address.numbered) list.push({ kind: "address", ...span, text: input.slice(span.start, span.end) });
    // The district it names and the one its street belongs to: when they differ, the resident is asked.
    for (const d of new Set([address.district, address.townDistrict])) if (d) list.push({ kind: "district", ...span, text: d });
    take(mentions, text, list);
  }
  return mentions.sort((a, b) => a.start - b.start);
}
