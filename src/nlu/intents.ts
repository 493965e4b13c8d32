import {
  distressPatterns,
  injectionPatterns,
  ningboPlaces,
  otherPlaces,
  otherPlacesLatin,
  outOfScopeWords,
  taskPatterns,
} from "./lexicon.ts";
import { basicNormalize } from "./normalize.ts";

/** What a message is, when it is not a catalogue question. */
export type Intent =
  | "greeting"
  | "thanks"
  | "identity"
  | "help"
  | "ack"
  | "bye"
  | "handoff"
  | "feedback:helpful"
  | "feedback:unhelpful"
  /** A guided flow's trigger: `flow:<id>`, for the flows loaded from intents/. */
  | `flow:${string}`;

export interface IntentMatch {
  intent: Intent;
}

const END = "[呀啊吖呢哦噢哈啦了的吧嘛么~～!！。.,，?？\\s]*$";
const whole = (alternatives: string) => new RegExp(`^(?:${alternatives})${END}`, "i");

const GREETING =
  "你好|您好|你们好|大家好|嗨|哈喽|哈罗|嘿|hello|hi|hey|hallo|在吗|在不在|在么|有人吗|有人在吗|早上好|上午好|中午好|下午好|晚上好|早安|晚安|早|" +
  "侬好|你好呀|你好啊|开始|菜单|menu|start|喂";
const greetingRe = whole(`(?:${GREETING})(?:[,，!！\\s]*(?:${GREETING}))*`);
const leadingGreetingRe = new RegExp(`^(?:${GREETING})[呀啊!！,，。.~～\\s]+`, "i");

const thanksRe = whole(
  "(?:好的|好|嗯|ok|okay|明白了|知道了|懂了|收到)?[,，\\s]*(?:谢谢|多谢|谢了|谢啦|感谢|感谢你|感谢您|谢谢你|谢谢您|谢谢侬|谢谢啦|谢谢了|3q|thx|thanks|thank you|thank u|非常感谢|太感谢了|辛苦了|麻烦了|好的谢谢|谢谢你的帮助)(?:你|您|侬|啦|了|哈|呀)?",
);
const identityRe = whole(
  "你是谁|您是谁|你是什么|你是啥|你是机器人吗|你是机器人|你是真人吗|你是人吗|你是ai吗|你是人工智能吗|你叫什么|你叫什么名字|你是哪个|你是哪里的|你是干什么的|你是做什么的|who are you|are you a bot|are you human|are you a robot",
);
const helpRe = whole(
  "帮助|help|怎么用|怎么使用|如何使用|使用说明|你能做什么|你能干什么|你能干嘛|你会什么|你会干什么|能干什么|能做什么|有什么功能|有啥功能|你有什么用|你能帮我做什么|你能帮我什么|功能|能帮我什么|我能问什么|可以问什么|what can you do",
);
const ackRe = whole("好|好的|好滴|好嘞|好吧|行|行吧|嗯|嗯嗯|哦|哦哦|噢|ok|okay|知道了|明白了|懂了|收到|了解|了解了|晓得了|可以");
const byeRe = whole("再见|拜拜|拜|bye|byebye|没事了|没有了|不用了|没问题了|先这样|就这样");
const handoffRe =
  /(转|找|接|要|叫|联系|换)(个|一个)?(人工|真人|客服|工作人员|活人)|人工(客服|服务|坐席|处理|回复)|真人(客服|回复)|^(人工|客服|工作人员|转人工)[吧呀啊!！。?？\s]*$|(talk|speak) to (a )?(human|person|someone|staff)|real person/i;

const helpfulRe = whole(
  "有用|有用的|很有用|挺有用|非常有用|有帮助|很有帮助|帮到我了|解决了|明白了有用|赞|点赞|好评|useful|helpful",
);
const unhelpfulRe = whole(
  "没用|没有用|没啥用|没什么用|不管用|没帮助|没有帮助|没帮上|没帮到|不是我要的|不对|答非所问|没解决|差评|not helpful|useless",
);

/** What a guided flow's file in intents/ says starts it (the loaded flows are passed in). */
export interface FlowTriggers {
  id: string;
  triggers: {
    /** Whole messages that start the flow ("我要登记"). */
    phrases: readonly string[];
    /** With an imperative ("我要…", "帮我…", "办理…") these start it too… */
    keywords: readonly string[];
    /** …unless one of these is in the message (they belong to another flow). */
    excludes: readonly string[];
  };
}

/** Words that make a message a question rather than a request: the catalogue answers those. */
export const QUESTION =
  /[吗嘛么？?]|怎么|怎样|如何|什么|啥|哪里|哪儿|哪个|哪些|多少|多久|几天|几个|能不能|可不可以|是不是|是否|要不要|需不需要|有没有|为什么|为啥|咋/;
/** "我想问一下签注" asks about something: the catalogue answers it. */
const ASKING = /问|咨询|了解|知道|请教|打听|介绍|说明/;
/** Imperative openings: "我要…", "帮我…", "办理…" start a flow; a bare "签注" is a topic, not a request. */
const IMPERATIVE =
  /^(?:我要|我想要|我想|我需要|我得|我准备|我来|帮我|请帮我|麻烦帮我|麻烦你帮我|给我|替我|现在|马上|在线|网上|开始)?(?:办理|办|申请|做|进行)?/;
/** What answers to a flow's questions start with, right after a request typed without a pause. */
const ANSWER_FOLLOWS = /^(我叫|我是|叫|姓名|名字|本人|身份证|手机|电话|我住|住|家住|地址|居住证号|证号|[0-9])/;
const OPENS_WITH_WANT = /^(?:我要|我想要|我想|我需要|帮我|请帮我|给我|替我|申请|办理)/;

/** A message reduced to what decides a command: no spaces or punctuation, no politeness around it. */
export function commandForm(text: string): string {
  return text
    .replace(/[\s。.!！~～,，、]/g, "")
    .replace(/^(你好|您好|请问|请|麻烦|麻烦你|麻烦您)/, "")
    .replace(/(一下|吧|呀|啊|哈|了|谢谢)+$/, "");
}

const phraseForms = new WeakMap<FlowTriggers["triggers"], string[]>();

/** A flow's phrases in command form, worked out once per loaded flow. */
function phrasesOf(flow: FlowTriggers): string[] {
  let forms = phraseForms.get(flow.triggers);
  if (!forms) {
    forms = flow.triggers.phrases.map(commandForm);
    phraseForms.set(flow.triggers, forms);
  }
  return forms;
}

function flowOfClause<F extends FlowTriggers>(clause: string, flows: readonly F[]): F | null {
  const normalized = commandForm(clause);
  if (!normalized || normalized.length > 30) return null;
  const exact = flows.find((f) => phrasesOf(f).includes(normalized));
  if (exact) return exact;
  if (QUESTION.test(normalized) || ASKING.test(normalized)) return null;
  if (!IMPERATIVE.exec(normalized)?.[0]) return null;
  let best: { flow: F; length: number } | null = null;
  for (const flow of flows) {
    if (flow.triggers.excludes.some((w) => normalized.includes(w))) continue;
    const hit = flow.triggers.keywords.filter((k) => normalized.includes(k)).sort((a, b) => b.length - a.length)[0];
    if (hit && (!best || hit.length > best.length)) best = { flow, length: hit.length };
  }
  return best?.flow ?? null;
}

/**
 * The flow a message asks to start, if any: the whole message ("我要登记", "帮我注销居住登记"),
 * or its first clause when answers follow ("我要登记，我叫张三，住在…"); `whole` says which.
 * Questions ("居住证怎么续签") are the catalogue's.
 */
export function matchFlowTrigger<F extends FlowTriggers>(text: string, flows: readonly F[]): { flow: F; whole: boolean } | null {
  if (!flows.length) return null;
  let t = basicNormalize(text);
  const lead = leadingGreetingRe.exec(t);
  if (lead && t.length > lead[0].length) t = t.slice(lead[0].length).trim();
  const whole = flowOfClause(t, flows);
  if (whole) return { flow: whole, whole: true };
  const first = /^[^，,。;；!！?？\n]+/.exec(t)?.[0] ?? "";
  const firstWord = first.split(" ")[0] ?? "";
  for (const clause of [first, firstWord]) {
    if (!clause || clause === t || QUESTION.test(clause)) continue;
    const flow = flowOfClause(clause, flows);
    if (flow) return { flow, whole: false };
  }
  // "我要登记我叫张三身份证…" typed without a pause: an imperative phrase at the very start.
  const compact = commandForm(t);
  if (OPENS_WITH_WANT.test(compact) && !QUESTION.test(compact)) {
    for (const flow of flows) {
      if (flow.triggers.excludes.some((w) => compact.includes(w))) continue;
      const phrase = phrasesOf(flow).find(
        (p) => OPENS_WITH_WANT.test(p) && compact.startsWith(p) && ANSWER_FOLLOWS.test(compact.slice(p.length)),
      );
      if (phrase) return { flow, whole: false };
    }
  }
  return null;
}

/** True for words of distress or self-harm: the assistant signposts help at once. */
export function isDistress(text: string): boolean {
  const t = basicNormalize(text);
  return distressPatterns.some((re) => re.test(t));
}

/** True for attempts to make the assistant drop its instructions or role. */
export function isInjection(text: string): boolean {
  const t = basicNormalize(text);
  return injectionPatterns.some((re) => re.test(t));
}

/** True for a request to do a task (write code or an essay, translate, homework), not a question about living in Ningbo. */
export function isTask(text: string): boolean {
  const t = basicNormalize(text);
  return taskPatterns.some((re) => re.test(t));
}

const placeAlternation = [...otherPlaces].sort((a, b) => b.length - a.length).join("|");
const latinPlaces = new RegExp(`(?<![a-z])(${Object.keys(otherPlacesLatin).join("|")})(?![a-z])`, "g");
const PLACE = new RegExp(placeAlternation, "g");
/** Where the resident comes from (老家, 户口, 从…来), not where the question is about. */
const ORIGIN_BEFORE = /(?:从|来自|老家是?|老家在|回|户口在|户籍在|户口是|我是|原来在|以前在|之前在|原籍)\s*$/;
const ORIGIN_AFTER = /^\s*(?:人|户口|户籍|老家|来的|过来|籍|的户口|那边过来|打工过来|来宁波)/;
const STREET = /^[东南西北中]?(?:路|街|大道|巷|弄|桥|广场|公园|小区|新村)/;
/** Moving a record between a city and Ningbo (社保转移, 迁户口): that is Ningbo's business. */
const TRANSFER = /转移|转入|转出|转回|转到|转过|转来|转走|转社保|社保.{0,6}转|迁到|迁入|迁出|迁回|迁过|接续|带过来|带回|回老家/;

/**
 * The other city or province a question is about ("杭州的居住证怎么办", "上海积分落户"), or null
 * when it is about Ningbo: Ningbo or one of its districts is named, the place is only the
 * resident's origin, or the question is about moving a record between there and Ningbo.
 */
export function otherCityOf(text: string): string | null {
  const t = basicNormalize(text).replace(latinPlaces, (m) => otherPlacesLatin[m] ?? m);
  if (TRANSFER.test(t)) return null;
  const namesNingbo = (s: string) => ningboPlaces.some((p) => s.includes(p));
  if (!namesNingbo(t)) return placeAskedAbout(t);
  // Ningbo named as the resident's context ("我在宁波上班") or to compare with ("跟宁波一样吗"):
  // the question is still about the other city when a clause that asks names it, and not Ningbo
  // ("…台州那边到底怎么分", "想问问阜阳那边的新农合怎么交").
  for (const clause of t.split(CLAUSE)) {
    if (!QUESTION.test(clause) || namesNingbo(clause)) continue;
    const place = placeAskedAbout(clause);
    if (place) return place;
  }
  return null;
}

/** Where a message's clauses end (a space too: residents type sentences apart with one). */
const CLAUSE = /[，,。；;？?！!\s]+/;

/** The first other place a text names that is not only the resident's origin or a street. */
function placeAskedAbout(t: string): string | null {
  for (const m of t.matchAll(PLACE)) {
    const at = m.index ?? 0;
    // 中山东路, 北京路: a street in Ningbo named after a place.
    if (STREET.test(t.slice(at + m[0].length))) continue;
    if (ORIGIN_BEFORE.test(t.slice(Math.max(0, at - 6), at))) continue;
    if (ORIGIN_AFTER.test(t.slice(at + m[0].length))) continue;
    return m[0];
  }
  return null;
}

/** The out-of-scope topic words a (normalised) message contains. */
export function outOfScopeTopics(normalized: string): string[] {
  return outOfScopeWords.filter((w) => normalized.includes(w));
}

/**
 * Recognises what is not a catalogue question: greetings, thanks, "who are you", help, a
 * request for a person, feedback on the last answer, and the triggers of the guided flows
 * passed in (the flows skill passes the ones loaded from intents/).
 */
export function detectIntent(text: string, flows: readonly FlowTriggers[] = []): IntentMatch | null {
  // Emoji first: normalisation drops them.
  const raw = text.replace(/\s|\u{FE0F}|[\u{1F3FB}-\u{1F3FF}]/gu, "");
  if (/^(?:👍)+$/u.test(raw)) return { intent: "feedback:helpful" };
  if (/^(?:👎)+$/u.test(raw)) return { intent: "feedback:unhelpful" };
  const t = basicNormalize(text);
  if (!t) return null;
  if (helpfulRe.test(t)) return { intent: "feedback:helpful" };
  if (unhelpfulRe.test(t)) return { intent: "feedback:unhelpful" };
  if (handoffRe.test(t) && t.length <= 30) return { intent: "handoff" };
  if (greetingRe.test(t)) return { intent: "greeting" };
  if (thanksRe.test(t)) return { intent: "thanks" };
  if (identityRe.test(t)) return { intent: "identity" };
  if (helpRe.test(t)) return { intent: "help" };
  if (ackRe.test(t)) return { intent: "ack" };
  if (byeRe.test(t)) return { intent: "bye" };
  const flow = matchFlowTrigger(t, flows);
  if (flow?.whole) return { intent: `flow:${flow.flow.id}` };
  // "你好，在吗？": the greeting is politeness, the rest is what they want.
  const lead = leadingGreetingRe.exec(t);
  const rest = lead ? t.slice(lead[0].length).trim() : "";
  return rest ? detectIntent(rest, flows) : null;
}
