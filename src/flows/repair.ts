import type { Dialog, DialogOutcome, DialogTurn } from "../dialog/dialog.ts";
import type { FlowState } from "../dialog/state.ts";
import type { LoadedFlow, LoadedStep } from "./loader.ts";
import { ask, goNext } from "./prompts.ts";
import type { FlowRuntime } from "./runtime.ts";
import { clearSlot, display, editable, filled, type Slots, setAnswer, toAnswer } from "./slots.ts";
import { statusText } from "./status.ts";
import { isStatusRequest, looksLikeQuestion, matchTrigger } from "./triggers.ts";
import { flowWording as w } from "./wording.ts";

/**
 * Repairs every flow gets without writing anything: go back, correct a value ("电话填错了，
 * 应该是139…"), and a question or aside in the middle (answered by the other skills, then the
 * same step again). Cancel, consent withdrawal and 转人工 are routed in skill.ts.
 */

const CORRECTION_WORDS =
  "填错|写错|输错|打错|弄错|搞错|选错|错了|不对|改一下|改下|修改|更改|改成|改为|要改|想改|重新填|重填|换一下|换成|更正";
const CORRECTION = new RegExp(`(${CORRECTION_WORDS})`);
const CORRECTION_ALL = new RegExp(`(${CORRECTION_WORDS})`, "g");
const LEADING_FILLER = /^([\s，,。.：:！!~～]|了|的|我的|应该是|应该|正确的是|正确是|其实是|是|一下|帮我|请|麻烦)+/;
const TRAILING_PUNCT = /[\s，,。.！!~～]+$/;

/** Turns the flows skill passed to the others (a question midway), so it does not take them again. */
export const NESTED = Symbol("flows.nested");
export type MaybeNested = DialogTurn & { [NESTED]?: true };

/** The filled value a text names by its longest label or alias ("手机号" → phone). */
export function fieldNamed(def: LoadedFlow, flow: FlowState, text: string): LoadedStep | null {
  let best: { step: LoadedStep; length: number } | null = null;
  for (const step of editable(def, flow.slots)) {
    for (const word of [step.label, ...step.aliases]) {
      if (text.includes(word) && (!best || word.length > best.length)) best = { step, length: word.length };
    }
  }
  return best?.step ?? null;
}

/** The filled value a correction names ("电话填错了" → phone). */
export function correctionTarget(def: LoadedFlow, flow: FlowState, text: string): LoadedStep | null {
  return CORRECTION.test(text) ? fieldNamed(def, flow, text) : null;
}

/** Changes one value: with the new value in the same message it is taken at once, else asked for. */
export function edit(
  rt: FlowRuntime,
  turn: DialogTurn,
  def: LoadedFlow,
  flow: FlowState,
  step: LoadedStep,
  text: string,
): DialogOutcome {
  let rest = text;
  for (const word of [step.label, ...step.aliases].sort((a, b) => b.length - a.length)) rest = rest.replaceAll(word, "");
  rest = rest.replace(CORRECTION_ALL, "").replace(LEADING_FILLER, "").replace(TRAILING_PUNCT, "").trim();
  const editing: FlowState = { ...flow, phase: "collect", step: step.slot, editing: step.slot, attempts: 0 };
  if (rest) {
    const result = step.validator.validate(rest, step.options, { now: turn.now, timeZone: rt.timeZone });
    if (result.ok && !result.confirm) {
      const next = setAnswer(def, editing, step, toAnswer(step, result, rt.secrets.encryptionKey));
      return goNext(turn, def, { ...next, attempts: 0, editing: null }, [w.edited]);
    }
  }
  return ask(turn, def, editing, [w.editing(step.label, display(step, flow.slots[step.slot], ""))]);
}

/** 上一步: forget the last answer and ask it again; while changing one value, give up the change. */
export function back(turn: DialogTurn, def: LoadedFlow, flow: FlowState): DialogOutcome {
  if (flow.editing && filled(flow.slots, flow.editing)) return goNext(turn, def, { ...flow, editing: null });
  const history = flow.history.filter((s) => filled(flow.slots, s));
  const last = history.pop();
  if (!last) return ask(turn, def, { ...flow, attempts: 0 }, [w.backAtStart]);
  const slots: Slots = { ...flow.slots };
  clearSlot(def, slots, last);
  const step: FlowState = { ...flow, phase: "collect", step: last, slots, history, attempts: 0, editing: null };
  return ask(turn, def, { ...step, tentative: undefined }, [w.back]);
}

/**
 * Something other than an answer: a status look-up, another flow, or a question (answered by
 * the other skills, then the same step again with `awaiting` kept). `early`: before the text
 * was validated, only a clear question is taken as an aside, so an address like
 * "我要登记的地址是…" does not read as a request to start a flow.
 */
export async function digress(
  rt: FlowRuntime,
  turn: DialogTurn,
  dialog: Dialog,
  def: LoadedFlow,
  flow: FlowState,
  early: boolean,
): Promise<DialogOutcome | null> {
  const text = turn.text;
  if (isStatusRequest(text)) {
    const answer = await statusText(rt.applications, turn.residentId, text, rt.flows, rt.timeZone);
    return ask(turn, def, flow, [answer, "", w.backToFlow(def)], { intent: "application_status" });
  }
  if (!early) {
    const other = matchTrigger(text, rt.flows.values())?.flow;
    if (other) return ask(turn, def, flow, other.id === def.id ? [w.backToFlow(def)] : [w.otherFlow(def, other)]);
  }
  if (!looksLikeQuestion(text) && (early || !rt.isCatalogueQuestion?.(text))) return null;

  // Inside a flow its own attempt counter decides when to offer a person, so an unanswered
  // question midway does not count towards the "misunderstood twice → staff" rule.
  // The flow is what the conversation is about now: a follow-up that names no topic ("可以让别人
  // 代签吗" while consent is asked for 签注) is answered from the entry the flow rests on, unless
  // a question asked midway has set a topic since the flow started.
  const topic =
    turn.state.topic && turn.state.topic.at >= flow.startedAt
      ? turn.state.topic
      : { entries: [def.cites], parts: [], at: turn.now };
  const asked = { ...turn.state, choices: undefined, misunderstood: 0, topic };
  const inner = await dialog.respondTo({ ...turn, state: asked, [NESTED]: true } as DialogTurn, "flows");
  const kept: FlowState = { ...flow, updatedAt: turn.now };
  if (inner.status === "escalated" || inner.status === "staff") {
    return { ...inner, state: { ...inner.state, flow: kept } };
  }
  const resume = ask(turn, def, flow, [w.backToFlow(def)]);
  // A step with options of its own keeps "1", "2" for them; otherwise the answer's options
  // (related questions, "which one did you mean?") stay selectable.
  const stepHasChoices = Boolean(resume.awaiting?.choices?.length);
  return {
    ...inner,
    replies: [
      // A question the catalogue cannot answer gets a short note here, not the full "what I can
      // do" menu: the resident is in the middle of a form. It is still recorded for staff.
      ...(inner.intent === "fallback"
        ? [{ intent: "fallback", text: w.unansweredMidway() }]
        : inner.replies.map(({ choices, ...r }) => (stepHasChoices || !choices ? r : { ...r, choices }))),
      ...resume.replies,
    ],
    state: {
      ...inner.state,
      flow: resume.state.flow,
      choices: undefined,
      misunderstood: 0,
      offer: undefined,
      offerReason: undefined,
    },
    awaiting: resume.awaiting,
  };
}
