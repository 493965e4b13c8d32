import type { z } from "zod";
import type { FlowState, flowAnswerSchema, flowTentativeSchema } from "../dialog/state.ts";
import { encryptSecret } from "../lib/crypto.ts";
import type { LoadedFlow, LoadedStep } from "./loader.ts";
import type { SlotValue } from "./prefill.ts";
import type { ValidValue } from "./validators.ts";

/**
 * A flow's answers and the rules over them: which step applies (`when:`), which comes next,
 * what changing one answer clears, and how an answer is stored. Pure functions over FlowState.
 *
 * Storage convention in `slots`: `<slot>` the value (an ID number only masked), `<slot>#enc` the
 * ciphertext of a clear ID number, `<slot>#data` extra application fields as JSON; `_…` slots
 * are filled by a prefill and never shown.
 */

export type Slots = Record<string, SlotValue>;
export type Answer = z.infer<typeof flowAnswerSchema>;
export type Tentative = z.infer<typeof flowTentativeSchema>;

export const stepOf = (def: LoadedFlow, slot: string | null) => def.steps.find((s) => s.slot === slot);
export const filled = (slots: Slots, slot: string) => Object.hasOwn(slots, slot);

/** True when the step's `when:` conditions hold on these answers. */
export function applies(step: LoadedStep, slots: Slots): boolean {
  const when = step.when;
  if (!when) return true;
  // for…in, not Object.entries: this runs for every step several times a turn.
  for (const slot in when) {
    const cond = when[slot];
    const value = slots[slot];
    if (Array.isArray(cond)) {
      if (!cond.includes(value as never)) return false;
    } else if (cond !== null && typeof cond === "object") {
      if ("set" in cond) {
        if ((value !== undefined && value !== null) !== cond.set) return false;
      } else {
        const not = Array.isArray(cond.not) ? cond.not : [cond.not];
        if (not.includes(value as never)) return false;
      }
    } else if (value !== cond) return false;
  }
  return true;
}

/** The first step that applies and has no answer yet. */
export function nextStep(def: LoadedFlow, slots: Slots): LoadedStep | undefined {
  return def.steps.find((s) => applies(s, slots) && !filled(slots, s.slot));
}

/** Steps the resident can see and change from the summary. */
export const editable = (def: LoadedFlow, slots: Slots) => def.steps.filter((s) => !s.hidden && filled(slots, s.slot));

/** Forgets a value, its companions (#enc, #data), what it copied, and answers that depended on it. */
export function clearSlot(def: LoadedFlow, slots: Slots, slot: string, seen = new Set<string>()): void {
  if (seen.has(slot)) return;
  seen.add(slot);
  for (const key of Object.keys(slots)) if (key === slot || key.startsWith(`${slot}#`)) delete slots[key];
  const step = stepOf(def, slot);
  for (const mapping of Object.values(step?.copy ?? {}))
    for (const target of Object.keys(mapping)) clearSlot(def, slots, target, seen);
  for (const s of def.steps) if (s.when && Object.hasOwn(s.when, slot)) clearSlot(def, slots, s.slot, seen);
}

/** How a stored value reads in the summary and in "我记下了：…". */
export function display(step: LoadedStep, value: SlotValue | undefined, skipped = "（未填写）"): string {
  if (value === null || value === undefined || value === "") return skipped;
  return step.validator.display?.(String(value)) ?? String(value);
}

export const interpolate = (text: string, slots: Slots) =>
  text.replace(/\{(_?\w+)\}/g, (_m, k: string) => String(slots[k] ?? ""));

/**
 * A validated value as the state may keep it: the clear ID number is encrypted here, at once,
 * and never stored; the masked form is what the resident and staff see.
 */
export function toAnswer(step: LoadedStep, result: ValidValue | null, encryptionKey: Buffer): Answer {
  const value = result?.value ?? null;
  return {
    value,
    ...(result?.secret ? { enc: encryptSecret(encryptionKey, result.secret) } : {}),
    ...(result?.data ? { data: result.data } : {}),
    shown: display(step, value),
  };
}

/**
 * Stores an answer: clears what depended on the old one, applies the step's `copy:`, records the
 * order for "上一步", and drops any question that was pending about this step.
 */
export function setAnswer(def: LoadedFlow, flow: FlowState, step: LoadedStep, answer: Answer): FlowState {
  const slots: Slots = { ...flow.slots };
  if (slots[step.slot] !== answer.value || answer.enc) clearSlot(def, slots, step.slot);
  for (const key of Object.keys(slots)) if (key.startsWith(`${step.slot}#`)) delete slots[key];
  slots[step.slot] = answer.value;
  if (answer.enc) slots[`${step.slot}#enc`] = answer.enc;
  if (answer.data) slots[`${step.slot}#data`] = JSON.stringify(answer.data);
  const copy = answer.value === null ? undefined : step.copy?.[answer.value];
  for (const [target, source] of Object.entries(copy ?? {})) {
    slots[target] = slots[source] ?? null;
    const enc = slots[`${source}#enc`];
    if (typeof enc === "string") slots[`${target}#enc`] = enc;
  }
  const history = [...flow.history.filter((s) => s !== step.slot), step.slot];
  return { ...flow, slots, history, tentative: withoutKey(flow.tentative, step.slot) };
}

/** Drops a slot's pending question (and forgets the map when it empties). */
export function withoutKey<T>(map: Record<string, T> | undefined, key: string): Record<string, T> | undefined {
  if (!map || !Object.hasOwn(map, key)) return map;
  const { [key]: _gone, ...rest } = map;
  return Object.keys(rest).length ? rest : undefined;
}

/** The first step (in flow order) with a question pending that still applies. */
export function nextTentative(def: LoadedFlow, flow: FlowState): LoadedStep | undefined {
  if (!flow.tentative) return undefined;
  return def.steps.find((s) => flow.tentative?.[s.slot] && applies(s, flow.slots));
}
