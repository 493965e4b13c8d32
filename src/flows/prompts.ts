import type { DialogOutcome, DialogTurn } from "../dialog/dialog.ts";
import type { ConversationState, FlowState } from "../dialog/state.ts";
import type { Awaiting, Reply } from "../domain/types.ts";
import type { LoadedFlow } from "./loader.ts";
import { editable, filled, interpolate, nextStep, nextTentative, stepOf, display } from "./slots.ts";
import { CONFIRM_CHOICES, CONSENT_CHOICES, flowWording as w, HANDOFF_CHOICE, RESUME_CHOICES, YES_NO_CHOICES } from "./wording.ts";

/**
 * Asking: what the flow says next, whatever phase it is in (consent, a step, a question about a
 * value read from a longer message, the summary), and the help after three failed attempts.
 */

/** Confirm phase, choosing which value to change. */
export const WHICH_FIELD = "$field";

interface Prompt {
  text: string;
  choices: string[] | undefined;
  awaiting: Awaiting;
  reprompt: string;
  example: string;
}

/** The state after a flow turn: the flow's question is the open one, so an older handoff offer lapses. */
export const settled = (turn: DialogTurn, flow: FlowState | undefined): ConversationState => ({
  ...turn.state,
  flow,
  misunderstood: 0,
  offer: undefined,
  offerReason: undefined,
});

function prompt(def: LoadedFlow, flow: FlowState): Prompt {
  if (flow.phase === "consent") {
    return {
      text: flow.pending ? `${w.consent(def)}\n${w.pendingKept}` : w.consent(def),
      choices: CONSENT_CHOICES,
      awaiting: { slot: "consent", type: "consent", choices: CONSENT_CHOICES },
      reprompt: w.consentAgain,
      example: "同意",
    };
  }
  if (flow.phase === "resume") {
    return {
      text: w.stale(def, flow.history.filter((s) => filled(flow.slots, s)).length),
      choices: RESUME_CHOICES,
      awaiting: { slot: "resume", type: "choice", choices: RESUME_CHOICES },
      reprompt: w.resumeAgain,
      example: "继续办理",
    };
  }
  if (flow.phase === "confirm") {
    if (flow.step === WHICH_FIELD) {
      const labels = editable(def, flow.slots).map((s) => s.label);
      return {
        text: w.whichField,
        choices: labels,
        awaiting: { slot: "field", type: "choice", choices: labels },
        reprompt: w.whichFieldAgain,
        example: labels[0] ?? "",
      };
    }
    const lines = editable(def, flow.slots).map((s) => `${s.label}：${display(s, flow.slots[s.slot], w.skipped)}`);
    return {
      text: w.summary(def, lines),
      choices: CONFIRM_CHOICES,
      awaiting: { slot: "confirm", type: "confirm", choices: CONFIRM_CHOICES },
      reprompt: w.confirmAgain,
      example: "确认提交",
    };
  }
  const step = stepOf(def, flow.step) ?? (def.steps[0] as (typeof def.steps)[number]);
  const question = flow.tentative?.[step.slot];
  if (question) {
    // A value read from a longer message that needs a yes, or a pick between two.
    const choices = question.options.length === 1 ? YES_NO_CHOICES : [...question.options.map((o) => o.shown), w.noneOfThese];
    return {
      text: question.question,
      choices,
      awaiting: { slot: step.slot, type: question.options.length === 1 ? "confirm" : "choice", choices },
      reprompt: question.options.length === 1 ? w.yesNoAgain : w.pickAgain,
      example: choices[0] as string,
    };
  }
  return {
    text: interpolate(step.prompt, flow.slots),
    choices: step.choices,
    awaiting: { slot: step.slot, type: step.type, ...(step.choices ? { choices: step.choices } : {}) },
    reprompt: interpolate(step.reprompt, flow.slots),
    example: step.example,
  };
}

/** Asks for whatever the flow waits for now, after optional lead lines. */
export function ask(
  turn: DialogTurn,
  def: LoadedFlow,
  flow: FlowState,
  lead: string[] = [],
  extra: Partial<DialogOutcome> = {},
): DialogOutcome {
  const p = prompt(def, flow);
  const next: FlowState = { ...flow, updatedAt: turn.now };
  const intent = `flow:${def.id}`;
  const reply: Reply = {
    intent,
    text: [...lead, p.text].filter(Boolean).join("\n"),
    ...(p.choices ? { choices: p.choices } : {}),
  };
  return { intent, replies: [reply], state: settled(turn, next), awaiting: p.awaiting, ...extra };
}

/** A value that was not accepted: say why and how; at the third try, explain with an example and offer a person. */
export function failure(turn: DialogTurn, def: LoadedFlow, flow: FlowState, reason: string): DialogOutcome {
  const p = prompt(def, flow);
  const attempts = flow.attempts + 1;
  const intent = `flow:${def.id}`;
  const next: FlowState = { ...flow, attempts: attempts >= 3 ? 0 : attempts, updatedAt: turn.now };
  const text = [reason, attempts >= 3 ? w.tooManyAttempts(p.reprompt, p.example) : p.reprompt].filter(Boolean).join("\n");
  const choices = attempts >= 3 ? [...(p.choices ?? []), HANDOFF_CHOICE] : p.choices;
  return {
    intent: attempts >= 3 ? `flow:${def.id}:help` : intent,
    replies: [{ intent, text, ...(choices ? { choices } : {}) }],
    state: settled(turn, next),
    awaiting: p.awaiting,
  };
}

/**
 * Moves on: a question about a value read earlier comes first, then the next step without an
 * answer, then (when everything is answered) the summary to confirm.
 */
export function goNext(
  turn: DialogTurn,
  def: LoadedFlow,
  flow: FlowState,
  lead: string[] = [],
  extra: Partial<DialogOutcome> = {},
): DialogOutcome {
  const pending = nextTentative(def, flow);
  const open = nextStep(def, flow.slots);
  // A question about a value waits until its step's turn comes (or the step is already answered).
  const next =
    pending && (!open || def.steps.indexOf(pending) <= def.steps.indexOf(open) || filled(flow.slots, pending.slot))
      ? pending
      : open;
  const moved: FlowState = next
    ? { ...flow, phase: "collect", step: next.slot, attempts: 0 }
    : { ...flow, phase: "confirm", step: null, attempts: 0, editing: null, tentative: undefined };
  return ask(turn, def, moved, lead, extra);
}

/** Ends the flow (submitted, cancelled, declined…): the state forgets it. */
export const end = (turn: DialogTurn, intent: string, text: string, extra: Partial<DialogOutcome> = {}): DialogOutcome => ({
  intent,
  replies: [{ intent, text }],
  state: settled(turn, undefined),
  ...extra,
});
