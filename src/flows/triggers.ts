import { REFERENCE_PATTERN } from "../domain/applications.ts";
import { detectIntent } from "../nlu/intents.ts";
import { defaultFlows, type LoadedFlow } from "./loader.ts";

/** Words that make a message a question rather than an answer or a command. */
export const QUESTION =
  /[吗嘛么？?]|怎么|怎样|如何|什么|啥|哪里|哪儿|哪个|哪些|多少|多久|几天|几个|能不能|可不可以|是不是|是否|要不要|需不需要|有没有|为什么|为啥|咋/;

/** Imperative openings: "我要…", "帮我…", "办理…" start a flow; a question never does. */
const IMPERATIVE =
  /^(我要|我想要|我想|我需要|我得|我准备|我来|帮我|请帮我|麻烦帮我|麻烦你帮我|给我|替我|现在|马上|在线|网上|开始)?(办理|办|申请|做|进行)?/;

/** "我想问一下签注" asks about something: the catalogue answers it. */
const ASKING = /问|咨询|了解|知道|请教|打听|介绍|说明/;

export const CANCEL =
  /^(取消|取消办理|算了|算了吧|不办了|不办了吧|不要办了|不想办了|不弄了|不填了|退出|结束|停止|不用了|先不办了|以后再说|下次再说)[吧啦了呀啊。.!！~～\s]*$/;
export const BACK =
  /^(上一步|上一项|返回|返回上一步|回到上一步|退回|退回上一步|后退|上一个|返回上一项|back)[吧啦了呀啊。.!！~～\s]*$/i;
export const SKIP = /^(跳过|跳过吧|不填|不填了|不想填|不方便|不知道|没有|无|略|skip)[。.!！~～\s]*$/i;
/** Requests for a person: never swallowed, the handoff skill takes them. */
export const HANDOFF_REQUEST =
  /(转|找|接|要|叫|联系)(个)?(人工|真人|客服|工作人员)|人工(客服|服务|坐席|处理)|真人(客服|回复)|^(人工|客服|工作人员)[吧呀啊!！。?？\s]*$/;
export const STATUS =
  /^(查|查询|查看|看看|看一下|查一下|我想查|我要查|帮我查)?(一下)?(我的)?(申请|办理)?(进度|状态|记录|结果)(查询)?[吧呀啊!！。?？\s]*$|^我的申请|^(查|查询|查看)我的申请|^申请(查询|记录)$/;
export const DELETE_DATA =
  /删除我的(个人)?(信息|资料|数据)|删掉我的(个人)?(信息|资料|数据)|清除我的(个人)?(信息|资料|数据)|注销我的(个人)?(信息|资料|数据)/;
export const WITHDRAW_CONSENT = /^(我要|我想)?(撤回|撤销|收回|取消)(我的)?(同意|授权)/;

export function normalizeCommand(text: string): string {
  return text
    .replace(/[\s。.!！~～,，、]/g, "")
    .replace(/^(你好|您好|请问|请|麻烦|麻烦你|麻烦您)/, "")
    .replace(/(一下|吧|呀|啊|哈|了|谢谢)+$/, "");
}

export function isStatusRequest(text: string): boolean {
  return STATUS.test(normalizeCommand(text)) || REFERENCE_PATTERN.test(text);
}

export function looksLikeQuestion(text: string): boolean {
  return QUESTION.test(text);
}

/**
 * The flow a message asks to start, if any: a listed phrase, or an imperative with one of the
 * flow's keywords ("帮我注销居住登记"). Questions ("居住证怎么续签") are the catalogue's.
 */
export function matchTrigger(text: string, flows: Iterable<LoadedFlow>): LoadedFlow | null {
  const all = [...flows];
  // The NLU's intents (flow:address_report…) first; the flow files' own phrases and keywords after.
  const intent = detectIntent(text)?.intent;
  if (intent?.startsWith("flow:")) {
    const byIntent = all.find((f) => `flow:${f.id}` === intent);
    if (byIntent) return byIntent;
  }
  const normalized = normalizeCommand(text);
  if (!normalized || normalized.length > 30) return null;
  const exact = all.find((f) => f.triggers.phrases.some((p) => normalizeCommand(p) === normalized));
  if (exact) return exact;
  if (QUESTION.test(normalized) || ASKING.test(normalized)) return null;
  const opening = IMPERATIVE.exec(normalized)?.[0] ?? "";
  if (!opening) return null;
  let best: { flow: LoadedFlow; length: number } | null = null;
  for (const flow of all) {
    if (flow.triggers.excludes.some((w) => normalized.includes(w))) continue;
    const hit = flow.triggers.keywords.filter((k) => normalized.includes(k)).sort((a, b) => b.length - a.length)[0];
    if (hit && (!best || hit.length > best.length)) best = { flow, length: hit.length };
  }
  return best?.flow ?? null;
}

export interface FlowOffer {
  flowId: string;
  title: string;
  /** The question to append to an answer. */
  text: string;
  /** The choice that starts the flow when selected. */
  choice: string;
}

/**
 * For the faq skill: after answering from one of these catalogue entries, offer to do it
 * online — append `text` and add `choice` to the reply's choices (selecting it starts the flow).
 */
export function flowOfferFor(entryIds: readonly string[], flows: Map<string, LoadedFlow> = defaultFlows()): FlowOffer | null {
  for (const id of entryIds) {
    for (const flow of flows.values()) {
      if (flow.offer.entries.includes(id)) {
        return { flowId: flow.id, title: flow.title, text: `要我帮您在线办理${flow.title}吗？`, choice: flow.offer.say };
      }
    }
  }
  return null;
}
