import type { ConversationPatch, Effect, ResidentPatch } from "../domain/effects.ts";
import type { ConversationState } from "./state.ts";
import type { Awaiting, ChannelId, ConversationStatus, MessageKind, Reply } from "../domain/types.ts";

/** Everything a skill may read about the current turn. */
export interface DialogTurn {
  now: number;
  channel: ChannelId;
  userId: string;
  residentId: string;
  conversationId: string;
  /** Cleaned text (control characters stripped, trimmed). */
  text: string;
  kind: MessageKind;
  inGroup: boolean;
  status: ConversationStatus;
  state: ConversationState;
  resident: { consentAt: number | null; acceptsNotices: boolean; remindersOptOut: boolean; district: string | null };
  escalatedAt: number | null;
  lastHoldingAt: number | null;
}

/** What a skill decides: replies, the next state, and writes to make in the same transaction. */
export interface DialogOutcome {
  intent: string;
  replies: Reply[];
  state: ConversationState;
  status?: ConversationStatus;
  awaiting?: Awaiting;
  resident?: ResidentPatch;
  conversation?: ConversationPatch;
  /** Writes to make in the turn's transaction, as data (see src/domain/effects.ts). */
  effects?: Effect[];
}

/**
 * A skill handles the turns it recognises and returns null for the rest. Skills run in the
 * order given to the Dialog; the first non-null outcome wins.
 */
export interface Skill {
  readonly name: string;
  handle(turn: DialogTurn, dialog: Dialog): Promise<DialogOutcome | null> | DialogOutcome | null;
}

export class Dialog {
  constructor(private readonly skills: readonly Skill[]) {}

  async respond(turn: DialogTurn): Promise<DialogOutcome> {
    const selected = acceptOffer(selectChoice(turn));
    for (const skill of this.skills) {
      // Waited for only when it is a promise: most skills decide synchronously that a turn is
      // not theirs, and an await per skill cost a promise and a microtask each (measured).
      const handled = skill.handle(selected, this);
      const outcome = handled instanceof Promise ? await handled : handled;
      if (outcome) return outcome;
    }
    throw new Error("no skill handled the turn: the fallback skill must be last");
  }

  /** Runs the skills on a rewritten turn (e.g. a question asked in the middle of a flow). */
  async respondTo(turn: DialogTurn, except: string): Promise<DialogOutcome> {
    for (const skill of this.skills) {
      if (skill.name === except) continue;
      const handled = skill.handle(turn, this);
      const outcome = handled instanceof Promise ? await handled : handled;
      if (outcome) return outcome;
    }
    throw new Error("no skill handled the turn");
  }
}

/** "1", "２", "第一个" or an offered label selects the option the last reply offered. */
export function selectChoice(turn: DialogTurn): DialogTurn {
  const choices = turn.state.choices;
  if (!choices?.length) return turn;
  const text = turn.text.replace(/[。.!！\s]/g, "");
  const digits = text.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
  const ordinal = ["一", "二", "三", "四", "五", "六", "七", "八", "九"].indexOf(text.replace(/^第|个$|项$/g, ""));
  let index = /^\d{1,2}$/.test(digits) ? Number(digits) - 1 : ordinal;
  if (index < 0) index = choices.indexOf(turn.text.trim());
  const choice = choices[index];
  if (choice === undefined) return turn;
  return { ...turn, text: choice, state: { ...turn.state, choices: undefined } };
}

/** Asking for it to be done: starts a flow offered under the last answer. */
const DO_IT =
  /^(?:好的?[，,\s]*)?(?:那就|那)?(?:帮我|给我|替我)?(?:在线|网上)?(?:办|办理|办吧|办一下|开始|开始办|申请)(?:吧|一下|吧谢谢)?[呀啊吧的呢了!！。.~～\s]*$|^(?:我要办|帮我办|那就办吧|就办吧|可以帮我办|好的帮我办)[呀啊吧的呢了!！。.~～\s]*$/;
/** A bare yes: starts the flow only when the last answer asked "要我帮您在线办理…吗？". */
const YES = /^(?:好|好的|好啊|好吧|行|可以|要|需要|嗯|嗯嗯|是|是的|对|ok|okay)[呀啊吧的呢了!！。.~～\s]*$/i;

/**
 * "帮我办" (or "好" to "要我帮您在线办理…吗？") right after an answer that offered a guided flow
 * starts that flow: the turn is rewritten to the flow's command, as a selected option is.
 */
export function acceptOffer(turn: DialogTurn): DialogTurn {
  const topic = turn.state.topic;
  if (!topic?.flow || turn.state.offer === "handoff") return turn;
  if (!turn.state.choices?.includes(topic.flow)) return turn;
  const text = turn.text.trim();
  if (!DO_IT.test(text) && !(topic.flowAsked && YES.test(text))) return turn;
  return { ...turn, text: topic.flow, state: { ...turn.state, choices: undefined } };
}

/** Remembers the options of the replies so the next turn can select one by number. */
export function withChoices(state: ConversationState, replies: Reply[]): ConversationState {
  const labels = replies.flatMap((r) => r.choices ?? []);
  return { ...state, choices: labels.length ? labels : undefined };
}
