import { REFERENCE_PATTERN } from "../domain/applications.ts";
import { commandForm, matchFlowTrigger, QUESTION } from "../nlu/intents.ts";
import { defaultFlows, type LoadedFlow } from "./loader.ts";

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

/** A message reduced to what decides a command (no spaces, punctuation or politeness around it). */
export const normalizeCommand = commandForm;

export function isStatusRequest(text: string): boolean {
  return STATUS.test(normalizeCommand(text)) || REFERENCE_PATTERN.test(text);
}

export function looksLikeQuestion(text: string): boolean {
  return QUESTION.test(text);
}

/**
 * The flow a message asks to start, by the triggers in the flow files (src/nlu/intents.ts reads
 * them): `whole` is false when answers follow the request ("我要登记，我叫张三…").
 */
export function matchTrigger(text: string, flows: Iterable<LoadedFlow>): { flow: LoadedFlow; whole: boolean } | null {
  return matchFlowTrigger(text, [...flows]);
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
