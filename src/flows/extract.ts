import { toHalfWidth } from "../lib/personal-numbers.ts";
import type { LoadedFlow, LoadedStep } from "./loader.ts";
import { blank, type Mention, type MentionKind, type Spot, scanMessage, startsWithSurname } from "./mentions.ts";
import { type Answer, applies, display, filled, type Slots, type Tentative, toAnswer } from "./slots.ts";
import type { ValidationContext, ValidValue } from "./validators.ts";

/**
 * Slot filling: every answer a message holds, for every step of the flow, at once. "我叫王小明
 * 身份证… 手机… 住鄞州区首南街道… 上个月15号搬进来的 租的房子" fills name, ID, phone, district,
 * address, move-in date and housing type in one go.
 *
 * 1. mentions.ts finds values by kind (ID, phone, date, address…); each step's validator may
 *    also spot its own words (a choice's synonyms, a reason after "因为").
 * 2. A value goes to the step its cue names ("房东电话139…" → landlordPhone, by the steps'
 *    aliases); a value without a cue goes to the first step that takes its kind.
 * 3. The step's validator checks it. Two different values for one step, a value that differs
 *    from an earlier answer, or a reading that took a guess (a date without a year) become a
 *    question (`tentative`); an invalid one, a `problem` to explain.
 */

export interface Harvest {
  answers: Record<string, Answer>;
  tentative: Record<string, Tentative>;
  problems: Record<string, string>;
}

export const emptyHarvest = (): Harvest => ({ answers: {}, tentative: {}, problems: {} });

/** How far before a value its cue may stand ("房东的电话是 139…"). */
const CUE_WINDOW = 10;

/** The step a cue just before the mention names, by the longest label or alias of a step taking its kind. */
function cueOf(def: LoadedFlow, text: string, mention: Mention, from: number): string | undefined {
  const window = text.slice(Math.max(from, mention.start - CUE_WINDOW), mention.start);
  let best: { slot: string; length: number } | undefined;
  for (const step of def.steps) {
    if (!step.mentions.includes(mention.kind)) continue;
    for (const word of [step.label, ...step.aliases]) {
      if (window.includes(word) && (!best || word.length > best.length)) best = { slot: step.slot, length: word.length };
    }
  }
  return best?.slot;
}

/** Which applicable step takes values of this kind that carry no cue: the one being asked, else the first open one. */
function primaryStep(def: LoadedFlow, slots: Slots, kind: MentionKind, current: LoadedStep | undefined): LoadedStep | undefined {
  const takers = def.steps.filter((s) => !s.hidden && s.mentions.includes(kind) && applies(s, slots));
  if (current && takers.includes(current)) return current;
  return takers.find((s) => !filled(slots, s.slot)) ?? takers[0];
}

const vocabularies = new WeakMap<LoadedFlow, string[]>();

/** Words of the flow itself, which are never a name ("租房", "房东电话", "我要登记"…). */
function vocabulary(def: LoadedFlow): string[] {
  const cached = vocabularies.get(def);
  if (cached) return cached;
  const words = [...def.triggers.phrases, ...def.triggers.keywords];
  for (const step of def.steps) {
    words.push(step.label, ...step.aliases, ...(step.choices ?? []));
    const synonyms = step.options.synonyms as Record<string, string[]> | undefined;
    for (const list of Object.values(synonyms ?? {})) words.push(...list);
  }
  const list = words.filter((w) => w.length >= 2);
  vocabularies.set(def, list);
  return list;
}

const NOT_A_NAME = /身份证|手机|电话|地址|街道|社区|小区|宿舍|房子|日期|号码|搬|住|租|是|的|了|吗|要|想|办|我|你|您/;

/** A name typed without a cue ("王小明，3302…"): the one leftover word that looks like a Chinese name. */
function leftoverName(def: LoadedFlow, rest: string): Spot | undefined {
  const vocab = vocabulary(def);
  const found: Spot[] = [];
  for (const m of rest.matchAll(/[\p{Script=Han}·]{2,8}/gu)) {
    const word = m[0];
    if (word.replace(/·/g, "").length > 4 && !word.includes("·")) continue;
    if (!startsWithSurname(word) || NOT_A_NAME.test(word) || vocab.some((v) => word.includes(v) || v.includes(word))) continue;
    found.push({ start: m.index as number, end: (m.index as number) + word.length, text: word });
  }
  return found.length === 1 ? found[0] : undefined;
}

export interface HarvestOptions {
  ctx: ValidationContext;
  encryptionKey: Buffer;
  /** The step being asked, which takes values without a cue first. */
  current?: LoadedStep | undefined;
}

/** Every answer in `text` for the flow's steps, given the answers so far. */
export function harvest(def: LoadedFlow, slots: Slots, text: string, opts: HarvestOptions): Harvest {
  const out = emptyHarvest();
  const half = toHalfWidth(text);
  const mentions = scanMessage(half);
  let rest = blank(half, mentions);
  const cue = new Map<Mention, string | undefined>();
  mentions.forEach((m, i) => {
    cue.set(m, cueOf(def, half, m, i > 0 ? (mentions[i - 1] as Mention).end : 0));
  });
  const used = new Set<Mention>();
  const working: Slots = { ...slots };
  let found = 0;

  const take = (step: LoadedStep, candidates: Spot[]) => {
    const valid: ValidValue[] = [];
    let problem: string | undefined;
    for (const c of candidates) {
      const r = step.validator.validate(c.text, step.options, opts.ctx);
      if (!r.ok) problem ??= r.reason;
      else if (!valid.some((v) => v.value === r.value)) valid.push(r);
    }
    if (!valid.length) {
      if (problem) out.problems[step.slot] = problem;
      return;
    }
    found++;
    const answers = valid.map((r) => toAnswer(step, r, opts.encryptionKey));
    const first = answers[0] as Answer;
    if (answers.length > 1) {
      out.tentative[step.slot] = {
        options: answers,
        question: `您发来了${answers.length}个${step.label}：${answers.map((a) => a.shown).join("、")}，请问用哪一个？`,
      };
    } else if (valid[0]?.confirm) {
      out.tentative[step.slot] = { options: answers, question: `${step.label}：${valid[0].confirm}` };
    } else if (filled(slots, step.slot) && slots[step.slot] !== first.value && step !== opts.current) {
      out.tentative[step.slot] = {
        options: answers,
        question: `${step.label}之前填的是${display(step, slots[step.slot])}，要改成${first.shown}吗？`,
      };
    } else if (!filled(slots, step.slot) || first.enc || step === opts.current) {
      out.answers[step.slot] = first;
      working[step.slot] = first.value;
    }
  };

  for (const step of def.steps) {
    if (step.hidden || !applies(step, working)) continue;
    const candidates: Spot[] = [];
    for (const m of mentions) {
      if (used.has(m) || !step.mentions.includes(m.kind)) continue;
      const named = cue.get(m);
      const mine = named === step.slot || (named === undefined && primaryStep(def, working, m.kind, opts.current) === step);
      if (!mine) continue;
      used.add(m);
      candidates.push(m);
    }
    const spots = step.validator.spot?.(rest, step.options) ?? [];
    if (spots.length) rest = blank(rest, spots);
    candidates.push(...spots);
    if (candidates.length) take(step, candidates);
  }

  // A bare name ("王小明，3302…") is only guessed among other values, never from a word alone.
  const nameStep = def.steps.find((s) => s.mentions.includes("name") && applies(s, working));
  if (found > 0 && nameStep && !out.answers[nameStep.slot] && !out.tentative[nameStep.slot] && !filled(slots, nameStep.slot)) {
    const name = leftoverName(def, rest);
    if (name) take(nameStep, [name]);
  }
  return out;
}

/** Slots the harvest says something about. */
export function harvestedSlots(h: Harvest): string[] {
  return [...new Set([...Object.keys(h.answers), ...Object.keys(h.tentative), ...Object.keys(h.problems)])];
}

/** "姓名：王小明，手机号：138****5678…" for the answers taken, in flow order. */
export function understoodLine(def: LoadedFlow, answers: Record<string, Answer>): string {
  const parts = def.steps.filter((s) => answers[s.slot]).map((s) => `${s.label}：${answers[s.slot]?.shown}`);
  return parts.length ? `好的，我记下了：${parts.join("，")}。` : "";
}
