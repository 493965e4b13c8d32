import type { DialogOutcome, DialogTurn } from "../dialog/dialog.ts";
import type { FlowState } from "../dialog/state.ts";
import { emptyHarvest, type Harvest, harvest, harvestedSlots, understoodLine } from "./extract.ts";
import type { LoadedFlow, LoadedStep } from "./loader.ts";
import { type Mention, type MentionKind, scanMessage } from "./mentions.ts";
import { failure, goNext } from "./prompts.ts";
import type { FlowRuntime } from "./runtime.ts";
import { filled, setAnswer, stepOf, toAnswer, withoutKey } from "./slots.ts";
import type { ValidationContext, ValidValue } from "./validators.ts";
import { flowWording as w } from "./wording.ts";
import { toHalfWidth } from "../lib/personal-numbers.ts";

/**
 * Slot filling in a turn: the answer to the step being asked, plus every other answer the
 * message holds (extract.ts), and the questions about values read with a guess.
 */

const YES = /^(是|是的|对|对的|没错|正确|确认|确定|嗯|嗯嗯|好|好的|可以|ok|yes|y)$/i;
const NO = /^(不是|不对|错了|否|不|no|n|都不是|都不对)$/i;
const PUNCT = /[\s。.!！,，~～]/g;

export const validationContext = (rt: FlowRuntime, turn: DialogTurn): ValidationContext => ({
  now: turn.now,
  timeZone: rt.timeZone,
});

/** Reads every answer in the text, for the flow as it stands. */
export function read(rt: FlowRuntime, turn: DialogTurn, def: LoadedFlow, flow: FlowState, text: string): Harvest {
  return harvest(def, flow.slots, text, {
    ctx: validationContext(rt, turn),
    encryptionKey: rt.secrets.encryptionKey,
    current: flow.phase === "collect" ? stepOf(def, flow.step) : undefined,
  });
}

/**
 * Adds a harvest to the flow: answers stored, questions queued; returns the lines to say first
 * ("我记下了：…" when it took more than the answer to the step asked, and what it could not take).
 */
export function applyHarvest(
  def: LoadedFlow,
  flow: FlowState,
  h: Harvest,
  current?: LoadedStep,
): { flow: FlowState; lead: string[] } {
  let next: FlowState = flow;
  for (const step of def.steps) {
    const answer = h.answers[step.slot];
    if (answer) next = setAnswer(def, next, step, answer);
  }
  const tentative = { ...(next.tentative ?? {}), ...h.tentative };
  next = { ...next, tentative: Object.keys(tentative).length ? tentative : undefined };
  const beyond = Object.keys(h.answers).some((slot) => slot !== current?.slot);
  const lead = [beyond ? understoodLine(def, h.answers) : ""];
  for (const step of def.steps) {
    const problem = h.problems[step.slot];
    if (problem && !h.answers[step.slot]) lead.push(`${step.label}：${problem}`);
  }
  return { flow: next, lead: lead.filter(Boolean) };
}

/** Merges what a later message before consent adds to what was kept. */
export function mergePending(kept: Harvest | undefined, more: Harvest): Harvest {
  const base = kept ?? emptyHarvest();
  return {
    answers: { ...base.answers, ...more.answers },
    tentative: { ...base.tentative, ...more.tentative },
    problems: { ...base.problems, ...more.problems },
  };
}

export const hasAnything = (h: Harvest) => harvestedSlots(h).length > 0;

/** The answer to a question about a value read earlier ("是2025年12月25日吗？", "用哪一个？"), or null when the text is something else. */
function answerTentative(turn: DialogTurn, def: LoadedFlow, flow: FlowState, step: LoadedStep): DialogOutcome | null {
  const question = flow.tentative?.[step.slot];
  if (!question) return null;
  const text = turn.text.replace(PUNCT, "");
  const single = question.options.length === 1 ? question.options[0] : undefined;
  const picked = single && YES.test(text) ? single : question.options.find((o) => o.shown === turn.text.trim());
  if (picked) return goNext(turn, def, { ...setAnswer(def, flow, step, picked), attempts: 0 });
  if (NO.test(text)) {
    // "不是": a value already given stays as it was; one never given is asked for afresh.
    const said = filled(flow.slots, step.slot) ? w.kept : w.dropped;
    return goNext(turn, def, { ...flow, tentative: withoutKey(flow.tentative, step.slot) }, [said]);
  }
  return null;
}

/**
 * The collect phase after the commands (cancel, back, corrections) were ruled out: the pending
 * question, then answers read from the whole message, then the step's own validation.
 * Returns null when nothing fits, so the caller can try the text as a question.
 */
export function collect(
  rt: FlowRuntime,
  turn: DialogTurn,
  def: LoadedFlow,
  flow: FlowState,
  step: LoadedStep,
): { outcome: DialogOutcome } | { reason: string } {
  const answered = answerTentative(turn, def, flow, step);
  if (answered) return { outcome: answered };
  // Anything else replaces the pending question: it is read as a fresh answer.
  const open: FlowState = { ...flow, tentative: withoutKey(flow.tentative, step.slot) };

  // The common case first: a short plain answer to the step asked ("13812345678", "上周五").
  if (step.validator.single?.(turn.text.trim(), step.options)) {
    const direct = step.validator.validate(turn.text, step.options, validationContext(rt, turn));
    if (direct.ok) return { outcome: takeDirect(turn, def, flow, open, step, direct, rt) };
  }
  const h = read(rt, turn, def, open, turn.text);
  const slots = harvestedSlots(h);
  const others = slots.filter((s) => s !== step.slot);
  // A message with this step's value in it, or with several values, is taken as a whole. One
  // value for another step alone ("上个月15号" while the address is asked) is not: the step
  // refuses it, so nothing lands in the wrong place — unless it cannot mean anything else (a
  // mobile or ID number: "我手机是138…" while the ID number is asked is kept, and the ID asked again).
  const alone = others.length === 1 && !h.problems[step.slot] && unmistakable(turn.text, h, others[0] as string);
  if (
    (slots.includes(step.slot) && !h.problems[step.slot]) ||
    others.length >= 2 ||
    (others.length && h.problems[step.slot]) ||
    alone
  ) {
    const applied = applyHarvest(def, open, h, step);
    const next: FlowState = { ...applied.flow, attempts: flow.attempts, editing: null };
    if (h.problems[step.slot])
      return { outcome: failure(turn, def, { ...next, phase: "collect", step: step.slot }, applied.lead.join("\n")) };
    return { outcome: goNext(turn, def, { ...next, attempts: 0 }, flow.editing ? [w.edited, ...applied.lead] : applied.lead) };
  }
  const direct = step.validator.validate(turn.text, step.options, validationContext(rt, turn));
  if (!direct.ok) return { reason: h.problems[step.slot] ?? direct.reason };
  return { outcome: takeDirect(turn, def, flow, open, step, direct, rt) };
}

/** Kinds of value that are what they are wherever they are typed. */
const UNMISTAKABLE: readonly MentionKind[] = ["id", "mobile"];

/** The message holds one value, of an unmistakable kind, and it was taken as an answer for `slot`. */
function unmistakable(text: string, h: Harvest, slot: string): boolean {
  // The same text the harvest scanned (half-width), so the scan is remembered, not redone.
  const mentions = scanMessage(toHalfWidth(text));
  return (
    mentions.length === 1 && UNMISTAKABLE.includes((mentions[0] as Mention).kind) && Boolean(h.answers[slot] ?? h.tentative[slot])
  );
}

/** The step's own answer, read from the whole text: stored, or asked about when it took a guess. */
function takeDirect(
  turn: DialogTurn,
  def: LoadedFlow,
  flow: FlowState,
  open: FlowState,
  step: LoadedStep,
  direct: ValidValue,
  rt: FlowRuntime,
): DialogOutcome {
  const answer = toAnswer(step, direct, rt.secrets.encryptionKey);
  if (direct.confirm) {
    const question = { options: [answer], question: direct.confirm };
    return goNext(turn, def, { ...open, tentative: { ...(open.tentative ?? {}), [step.slot]: question }, attempts: 0 });
  }
  const next = setAnswer(def, open, step, answer);
  return goNext(turn, def, { ...next, attempts: 0, editing: null }, flow.editing ? [w.edited] : []);
}

/** After consent: what was typed before is used now (answers, questions, problems). */
export function usePending(def: LoadedFlow, flow: FlowState): { flow: FlowState; lead: string[] } {
  if (!flow.pending) return { flow, lead: [] };
  const { pending: _kept, ...rest } = flow;
  return applyHarvest(def, rest, flow.pending);
}
