import { distressPatterns, injectionPatterns, outOfScopeWords } from "./lexicon.ts";
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
  | "flow:address_report"
  | "flow:address_deregistration"
  | "flow:permit_endorsement";

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

/** "I want to…" without a question word: the resident wants to do it, not to read about it. */
const QUESTION = /[吗么嘛?？]|怎|什么|啥|哪|如何|多久|多少|几|能不能|可不可以|要不要|是不是|有没有|需不需要|为什么|咋|呢$/;
const WANT =
  "(?:我|俺|阿拉)?(?:现在|马上)?(?:要|想|想要|需要|准备|打算)?(?:请|麻烦)?(?:帮我|给我|替我)?(?:在线)?(?:办理?|做|申请|申报|提交|去)?(?:一下)?";
/** A bare "签注" or "居住登记" is a topic, not a request: a flow needs a verb of wanting or doing. */
const WANTS =
  /^(?:我|俺|阿拉)?(?:现在|马上)?(?:要|想|需要|准备|打算|请|麻烦|帮|给我|替我|在线|网上|办|做|申请|申报|提交|去|开始)/;
const flows: [Intent, RegExp][] = [
  [
    "flow:address_deregistration",
    new RegExp(`^${WANT}(?:搬离|搬走|退租)?(?:注销|註銷|销掉|注消)(?:一下)?(?:居住|住址)?(?:登记|申报)?(?:信息)?${END}`),
  ],
  ["flow:permit_endorsement", new RegExp(`^${WANT}(?:居住证)?(?:签注|续签|年审|续期)(?:一下)?(?:居住证)?${END}`)],
  [
    "flow:address_report",
    new RegExp(
      `^${WANT}(?:居住|住址|地址|居住地址|居住地)?(?:登记|申报)(?:一下)?(?:居住|住址|地址|居住地址|居住地|居住信息)?(?:登记)?${END}`,
    ),
  ],
];

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

/** The out-of-scope topic words a (normalised) message contains. */
export function outOfScopeTopics(normalized: string): string[] {
  return outOfScopeWords.filter((w) => normalized.includes(w));
}

/**
 * Recognises what is not a catalogue question: greetings, thanks, "who are you", help, a
 * request for a person, feedback on the last answer, and the guided flows' triggers.
 */
export function detectIntent(text: string): IntentMatch | null {
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
  if (!QUESTION.test(t) && t.length <= 20 && WANTS.test(t)) {
    for (const [intent, re] of flows) if (re.test(t)) return { intent };
  }
  // "你好，我要签注": the greeting is politeness, the rest is what they want.
  const lead = leadingGreetingRe.exec(t);
  const rest = lead ? t.slice(lead[0].length).trim() : "";
  return rest ? detectIntent(rest) : null;
}
