/**
 * The guided-flows skill ("flows"): runs the flows defined in intents/ one question at a time,
 * and answers status look-ups and PIPL requests. Exports `createFlowsSkill`; the trigger and
 * offer helpers live in ./triggers.ts, the flow files' schema in ./schema.ts.
 *
 * Every flow gets the same patterns from this engine: consent first, cancel, go back, correct a
 * value, a question midway (answered by the other skills, then the same step again), talk to a
 * person (left to the handoff skill), three failed attempts, coming back after a day, and a
 * summary to confirm before anything is submitted.
 */
import type { Logger } from "pino";
import type { ApplicationRepo } from "../data/applications.ts";
import { type NewApplication, newReference } from "../domain/applications.ts";
import type { Dialog, DialogOutcome, DialogTurn, Skill } from "../dialog/dialog.ts";
import type { ConversationState, FlowState } from "../dialog/state.ts";
import type { Awaiting, Reply } from "../domain/types.ts";
import { replies as coreReplies } from "../dialog/wording.ts";
import { decryptSecret, encryptSecret, hashIdNumber } from "../lib/crypto.ts";
import { hasNoWords } from "../lib/text.ts";
import { type LoadedFlow, type LoadedStep, loadFlows } from "./loader.ts";
import { runPrefill, type SlotValue } from "./prefill.ts";
import { deletionText, statusText, withdrawnText } from "./status.ts";
import {
  BACK,
  CANCEL,
  DELETE_DATA,
  HANDOFF_REQUEST,
  isStatusRequest,
  looksLikeQuestion,
  matchTrigger,
  normalizeCommand,
  SKIP,
  WITHDRAW_CONSENT,
} from "./triggers.ts";
import type { ValidationResult } from "./validators.ts";
import { CONFIRM_CHOICES, CONSENT_CHOICES, flowWording as w, HANDOFF_CHOICE, RESUME_CHOICES } from "./wording.ts";

export interface FlowsSkillDeps {
  config: { TZ: string };
  secrets: { encryptionKey: Buffer; hashKey: Buffer };
  store: { applications: ApplicationRepo };
  log: Logger;
  /** Defaults to the flows in intents/ (a broken file throws FlowFileError: start-up stops). */
  flows?: Map<string, LoadedFlow>;
  intentsDir?: string;
  /** Optional: true when the text matches a catalogue entry, so it is answered as a question. */
  isCatalogueQuestion?: (text: string) => boolean;
}

/** A flow left longer than this asks whether to continue or start again. */
export const STALE_AFTER_MS = 24 * 60 * 60 * 1000;
/** Something shaped like an ID number anywhere in a message (valid or not). */
/** Yes/no to an offer of a person, which the handoff skill answers. */
const OFFER_ANSWER = /^(好|好的|好啊|需要|需要的|要|是|是的|可以|嗯|嗯嗯|行|对|ok|不|不用|不需要|不要|先不用|暂时不用|不了)$/i;
/** Confirm phase, choosing which value to change. */
const WHICH_FIELD = "$field";

const CONSENT_YES = /^(同意|我同意|同意的|同意了|好|好的|好啊|可以|行|没问题|确定|ok|愿意|接受|嗯|嗯嗯|是|是的)$/i;
const CONSENT_NO = /^(不同意|我不同意|拒绝|不愿意|不要|不了|不用|不用了|不行|不可以|否)$/;
const CONFIRM_YES = /^(确认提交|确认|提交|确定|确定提交|没问题|对的|都对|正确|无误|是的|好的|好|可以|ok|没错)$/i;
const MODIFY = /^(修改|改|要改|我要改|我要修改|更改|有错|不对|修改一下|改一下|有问题|需要修改)$/;
const RESUME_CONTINUE = /^(继续办理|继续|接着办|接着|继续吧|好的|好|是|是的|嗯)$/;
const RESUME_RESTART = /^(重新开始|重新|重来|重新填|重新办|从头开始|从头来)$/;
const CORRECTION_WORDS =
  "填错|写错|输错|打错|弄错|搞错|选错|错了|不对|改一下|改下|修改|更改|改成|改为|要改|想改|重新填|重填|换一下|换成|更正";
const CORRECTION = new RegExp(`(${CORRECTION_WORDS})`);
const CORRECTION_ALL = new RegExp(`(${CORRECTION_WORDS})`, "g");
const LEADING_FILLER = /^([\s，,。.：:！!~～]|了|的|我的|应该是|应该|正确的是|正确是|其实是|是|一下|帮我|请|麻烦)+/;
const TRAILING_PUNCT = /[\s，,。.！!~～]+$/;

/** Turns this skill passed to the others (a question midway), so it does not take them again. */
const NESTED = Symbol("flows.nested");
type MaybeNested = DialogTurn & { [NESTED]?: true };

type Slots = Record<string, SlotValue>;

interface Prompt {
  text: string;
  choices: string[] | undefined;
  awaiting: Awaiting;
  reprompt: string;
  example: string;
}

export function createFlowsSkill(deps: FlowsSkillDeps): Skill {
  const flows = deps.flows ?? loadFlows(deps.intentsDir);
  const { applications } = deps.store;
  const timeZone = deps.config.TZ;

  // ── small helpers ─────────────────────────────────────────────────────────────────────────

  /** The state after a flow turn: the flow's question is the open one, so an older handoff offer lapses. */
  const settled = (turn: DialogTurn, flow: FlowState | undefined): ConversationState => ({
    ...turn.state,
    flow,
    misunderstood: 0,
    offer: undefined,
    offerReason: undefined,
  });

  const stepOf = (def: LoadedFlow, slot: string | null) => def.steps.find((s) => s.slot === slot);
  const filled = (slots: Slots, slot: string) => Object.hasOwn(slots, slot);

  function applies(step: LoadedStep, slots: Slots): boolean {
    for (const [slot, cond] of Object.entries(step.when ?? {})) {
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

  function nextStep(def: LoadedFlow, slots: Slots): LoadedStep | undefined {
    return def.steps.find((s) => applies(s, slots) && !filled(slots, s.slot));
  }

  /** Forgets a value, its companions (#enc, #data), what it copied, and answers that depended on it. */
  function clearSlot(def: LoadedFlow, slots: Slots, slot: string, seen = new Set<string>()): void {
    if (seen.has(slot)) return;
    seen.add(slot);
    for (const key of Object.keys(slots)) if (key === slot || key.startsWith(`${slot}#`)) delete slots[key];
    const step = stepOf(def, slot);
    for (const mapping of Object.values(step?.copy ?? {}))
      for (const target of Object.keys(mapping)) clearSlot(def, slots, target, seen);
    for (const s of def.steps) if (s.when && Object.hasOwn(s.when, slot)) clearSlot(def, slots, s.slot, seen);
  }

  function display(step: LoadedStep, value: SlotValue): string {
    if (value === null || value === undefined || value === "") return w.skipped;
    return step.validator.display?.(String(value)) ?? String(value);
  }

  const interpolate = (text: string, slots: Slots) => text.replace(/\{(_?\w+)\}/g, (_m, k: string) => String(slots[k] ?? ""));

  /** Steps the resident can see and change from the summary. */
  const editable = (def: LoadedFlow, slots: Slots) => def.steps.filter((s) => !s.hidden && filled(slots, s.slot));

  function prompt(def: LoadedFlow, flow: FlowState): Prompt {
    if (flow.phase === "consent") {
      return {
        text: w.consent(def),
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
      const lines = editable(def, flow.slots).map((s) => `${s.label}：${display(s, flow.slots[s.slot] ?? null)}`);
      return {
        text: w.summary(def, lines),
        choices: CONFIRM_CHOICES,
        awaiting: { slot: "confirm", type: "confirm", choices: CONFIRM_CHOICES },
        reprompt: w.confirmAgain,
        example: "确认提交",
      };
    }
    const step = stepOf(def, flow.step) ?? (def.steps[0] as LoadedStep);
    return {
      text: interpolate(step.prompt, flow.slots),
      choices: step.choices,
      awaiting: { slot: step.slot, type: step.type, ...(step.choices ? { choices: step.choices } : {}) },
      reprompt: interpolate(step.reprompt, flow.slots),
      example: step.example,
    };
  }

  /** Asks for whatever the flow waits for now, after optional lead lines. */
  function ask(
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
  function failure(turn: DialogTurn, def: LoadedFlow, flow: FlowState, reason: string): DialogOutcome {
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

  function goNext(turn: DialogTurn, def: LoadedFlow, flow: FlowState, lead: string[] = [], extra: Partial<DialogOutcome> = {}) {
    const next = nextStep(def, flow.slots);
    const moved: FlowState = next
      ? { ...flow, phase: "collect", step: next.slot, attempts: 0 }
      : { ...flow, phase: "confirm", step: null, attempts: 0, editing: null };
    return ask(turn, def, moved, lead, extra);
  }

  const end = (turn: DialogTurn, intent: string, text: string, extra: Partial<DialogOutcome> = {}): DialogOutcome => ({
    intent,
    replies: [{ intent, text }],
    state: settled(turn, undefined),
    ...extra,
  });

  // ── starting, and what works without a flow ──────────────────────────────────────────────

  async function start(turn: DialogTurn, def: LoadedFlow): Promise<DialogOutcome> {
    const slots = def.prefill ? await runPrefill(def.prefill, applications, turn.residentId) : {};
    const flow: FlowState = {
      id: def.id,
      phase: "consent",
      step: null,
      slots,
      history: [],
      attempts: 0,
      editing: null,
      startedAt: turn.now,
      updatedAt: turn.now,
    };
    return ask(turn, def, flow);
  }

  async function status(turn: DialogTurn): Promise<DialogOutcome> {
    const text = await statusText(applications, turn.residentId, turn.text, flows, timeZone);
    return {
      intent: "application_status",
      replies: [{ intent: "application_status", text }],
      state: { ...turn.state, misunderstood: 0 },
    };
  }

  async function deletion(turn: DialogTurn): Promise<DialogOutcome> {
    const text = await deletionText(applications, turn.residentId);
    return end(turn, "deletion_request", text, {
      effects: [{ type: "deletion.request" }],
      resident: { consentAt: null, consentVersion: null, consentWithdrawnAt: turn.now },
    });
  }

  function withdraw(turn: DialogTurn): DialogOutcome {
    return end(turn, "consent_withdrawn", withdrawnText, {
      resident: { consentAt: null, consentVersion: null, consentWithdrawnAt: turn.now },
    });
  }

  /** Personal matters are never handled in a group chat: invite to a private chat instead. */
  function inGroup(turn: DialogTurn): DialogOutcome | null {
    const def = matchTrigger(turn.text, flows.values());
    if (def)
      return { intent: `flow:${def.id}`, replies: [{ intent: "private_only", text: w.groupInvite(def) }], state: turn.state };
    if (isStatusRequest(turn.text) || DELETE_DATA.test(turn.text) || WITHDRAW_CONSENT.test(normalizeCommand(turn.text))) {
      return { intent: "private_only", replies: [{ intent: "private_only", text: w.groupPrivate }], state: turn.state };
    }
    return null;
  }

  async function idle(turn: DialogTurn): Promise<DialogOutcome | null> {
    if (turn.kind !== "text" || !turn.text) return null;
    if (turn.inGroup) return inGroup(turn);
    if (DELETE_DATA.test(turn.text)) return deletion(turn);
    if (WITHDRAW_CONSENT.test(normalizeCommand(turn.text))) return withdraw(turn);
    if (isStatusRequest(turn.text)) return status(turn);
    const def = matchTrigger(turn.text, flows.values());
    return def ? start(turn, def) : null;
  }

  // ── inside a flow ─────────────────────────────────────────────────────────────────────────

  /**
   * Something other than an answer: a status look-up, another flow, or a question (answered by
   * the other skills, then the same step again with `awaiting` kept).
   */
  async function digress(
    turn: DialogTurn,
    dialog: Dialog,
    def: LoadedFlow,
    flow: FlowState,
    early: boolean,
  ): Promise<DialogOutcome | null> {
    const text = turn.text;
    if (isStatusRequest(text)) {
      const answer = await statusText(applications, turn.residentId, text, flows, timeZone);
      return ask(turn, def, flow, [answer, "", w.backToFlow(def)], { intent: "application_status" });
    }
    // Before free text is validated, only a clear question is taken as an aside: an address
    // like "我要登记的地址是…" must not read as a request to start a flow.
    if (!early) {
      const other = matchTrigger(text, flows.values());
      if (other) return ask(turn, def, flow, other.id === def.id ? [w.backToFlow(def)] : [w.otherFlow(def, other)]);
    }
    if (!looksLikeQuestion(text) && (early || !deps.isCatalogueQuestion?.(text))) return null;

    // Inside a flow its own attempt counter decides when to offer a person, so an unanswered
    // question midway does not count towards the "misunderstood twice → staff" rule.
    const asked = { ...turn.state, choices: undefined, misunderstood: 0 };
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

  /** The filled value a correction names ("电话填错了" → phone), by its longest alias. */
  function correctionTarget(def: LoadedFlow, flow: FlowState, text: string): LoadedStep | null {
    if (!CORRECTION.test(text)) return null;
    return fieldNamed(def, flow, text);
  }

  function fieldNamed(def: LoadedFlow, flow: FlowState, text: string): LoadedStep | null {
    let best: { step: LoadedStep; length: number } | null = null;
    for (const step of editable(def, flow.slots)) {
      for (const word of [step.label, ...step.aliases]) {
        if (text.includes(word) && (!best || word.length > best.length)) best = { step, length: word.length };
      }
    }
    return best?.step ?? null;
  }

  function validate(turn: DialogTurn, step: LoadedStep, text: string): ValidationResult {
    return step.validator.validate(text, step.options, { now: turn.now, timeZone });
  }

  function accept(
    turn: DialogTurn,
    def: LoadedFlow,
    flow: FlowState,
    step: LoadedStep,
    result: ValidationResult | null,
    lead: string[] = [],
  ) {
    if (result && !result.ok) throw new Error("accept() needs a valid result");
    const slots: Slots = { ...flow.slots };
    const value = result?.value ?? null;
    if (slots[step.slot] !== value || result?.secret) clearSlot(def, slots, step.slot);
    for (const key of Object.keys(slots)) if (key.startsWith(`${step.slot}#`)) delete slots[key];
    slots[step.slot] = value;
    // The clear ID number lives only in this turn: the state keeps the masked form and the ciphertext.
    if (result?.secret) slots[`${step.slot}#enc`] = encryptSecret(deps.secrets.encryptionKey, result.secret);
    if (result?.data) slots[`${step.slot}#data`] = JSON.stringify(result.data);
    const copy = value === null ? undefined : step.copy?.[value];
    for (const [target, source] of Object.entries(copy ?? {})) {
      slots[target] = slots[source] ?? null;
      const enc = slots[`${source}#enc`];
      if (typeof enc === "string") slots[`${target}#enc`] = enc;
    }
    const history = [...flow.history.filter((s) => s !== step.slot), step.slot];
    const next: FlowState = { ...flow, slots, history, attempts: 0, editing: null };
    return goNext(turn, def, next, flow.editing ? [w.edited, ...lead] : lead);
  }

  function edit(turn: DialogTurn, def: LoadedFlow, flow: FlowState, step: LoadedStep, text: string): DialogOutcome {
    // "电话填错了，应该是139…": the new value may come with the correction.
    let rest = text;
    for (const word of [step.label, ...step.aliases].sort((a, b) => b.length - a.length)) rest = rest.replaceAll(word, "");
    rest = rest.replace(CORRECTION_ALL, "").replace(LEADING_FILLER, "").replace(TRAILING_PUNCT, "").trim();
    const editing: FlowState = { ...flow, phase: "collect", step: step.slot, editing: step.slot, attempts: 0 };
    if (rest) {
      const result = validate(turn, step, rest);
      if (result.ok) return accept(turn, def, editing, step, result);
    }
    return ask(turn, def, editing, [w.editing(step.label, display(step, flow.slots[step.slot] ?? null))]);
  }

  function back(turn: DialogTurn, def: LoadedFlow, flow: FlowState): DialogOutcome {
    // While changing one value, "返回" gives up the change.
    if (flow.editing && filled(flow.slots, flow.editing)) return goNext(turn, def, { ...flow, editing: null });
    const history = flow.history.filter((s) => filled(flow.slots, s));
    const last = history.pop();
    if (!last) return ask(turn, def, { ...flow, attempts: 0 }, [w.backAtStart]);
    const slots: Slots = { ...flow.slots };
    clearSlot(def, slots, last);
    return ask(turn, def, { ...flow, phase: "collect", step: last, slots, history, attempts: 0, editing: null }, [w.back]);
  }

  async function submit(turn: DialogTurn, def: LoadedFlow, flow: FlowState): Promise<DialogOutcome> {
    const slots = flow.slots;
    const idStep = def.steps.find((s) => typeof slots[`${s.slot}#enc`] === "string");
    let id: Pick<NewApplication, "idNumberEnc" | "idNumberHash" | "idNumberMasked"> = {};
    if (idStep) {
      const enc = slots[`${idStep.slot}#enc`] as string;
      try {
        const clear = decryptSecret(deps.secrets.encryptionKey, enc);
        id = {
          idNumberEnc: enc,
          idNumberHash: hashIdNumber(deps.secrets.hashKey, clear),
          idNumberMasked: String(slots[idStep.slot]),
        };
      } catch {
        // The key changed between the answer and the submit: ask again rather than store garbage.
        deps.log.warn({ flow: def.id }, "could not decrypt a stored ID number; asking again");
        const cleared: Slots = { ...slots };
        clearSlot(def, cleared, idStep.slot);
        return ask(turn, def, { ...flow, phase: "collect", step: idStep.slot, slots: cleared }, [w.secretLost]);
      }
    }
    const idSlots = new Set(def.steps.filter((s) => s.type === "id_number").map((s) => s.slot));
    const data: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(slots)) {
      if (key.startsWith("_") || key.includes("#") || idSlots.has(key) || key === "name" || key === "phone") continue;
      data[key] = value;
    }
    for (const [key, value] of Object.entries(slots)) {
      if (key.endsWith("#data") && typeof value === "string") Object.assign(data, JSON.parse(value));
    }
    let reference = newReference(turn.now, timeZone);
    for (let i = 0; i < 5 && (await applications.referenceExists(reference)); i++) reference = newReference(turn.now, timeZone);
    const str = (v: SlotValue | undefined) => (typeof v === "string" && v ? v : null);
    const application: NewApplication = {
      reference,
      type: def.id,
      data,
      name: str(slots.name),
      phone: str(slots.phone),
      district: str(slots.district),
      ...id,
    };
    const text = def.submitted.replaceAll("{reference}", reference).replaceAll("{title}", def.title);
    // A district the resident told us (not one copied from an old registration) is where they live now.
    const district = flow.history.includes("district") ? str(slots.district) : null;
    return end(turn, `flow:${def.id}:submitted`, text, {
      effects: [{ type: "application.submit", application }],
      ...(district ? { resident: { district } } : {}),
    });
  }

  async function active(turn: DialogTurn, dialog: Dialog, def: LoadedFlow, flow: FlowState): Promise<DialogOutcome | null> {
    if (turn.kind !== "text") return ask(turn, def, flow, [coreReplies.nonText().text]);
    if (turn.text === "") return ask(turn, def, flow, [coreReplies.empty().text]);
    if (hasNoWords(turn.text)) return ask(turn, def, flow, [coreReplies.noWords().text]);

    const text = turn.text.trim();
    const command = normalizeCommand(text);
    if (CANCEL.test(text)) return end(turn, `flow:${def.id}:cancelled`, w.cancelled(def));
    if (DELETE_DATA.test(text)) return deletion(turn);
    if (WITHDRAW_CONSENT.test(command)) return withdraw(turn);
    if (flow.phase !== "consent" && flow.phase !== "resume" && turn.now - flow.updatedAt > STALE_AFTER_MS) {
      return ask(turn, def, { ...flow, phase: "resume", attempts: 0 });
    }

    switch (flow.phase) {
      case "consent": {
        if (CONSENT_NO.test(command)) return end(turn, `flow:${def.id}:declined`, w.declined(def));
        if (CONSENT_YES.test(command)) {
          return goNext(turn, def, { ...flow, phase: "collect" }, [], {
            resident: { consentAt: turn.now, consentVersion: `${def.id}:${def.consent.version}`, consentWithdrawnAt: null },
          });
        }
        return (await digress(turn, dialog, def, flow, false)) ?? failure(turn, def, flow, "");
      }
      case "resume": {
        if (RESUME_RESTART.test(command)) {
          const slots = def.prefill ? await runPrefill(def.prefill, applications, turn.residentId) : {};
          return goNext(turn, def, { ...flow, slots, history: [], editing: null, startedAt: turn.now }, [w.restarted]);
        }
        if (RESUME_CONTINUE.test(command)) {
          const editing = flow.editing ? stepOf(def, flow.editing) : undefined;
          if (editing) return ask(turn, def, { ...flow, phase: "collect", step: editing.slot }, [w.resumed]);
          return goNext(turn, def, flow, [w.resumed]);
        }
        return (await digress(turn, dialog, def, flow, false)) ?? failure(turn, def, flow, "");
      }
      case "confirm": {
        if (flow.step === WHICH_FIELD) {
          if (BACK.test(text)) return ask(turn, def, { ...flow, step: null });
          const target = fieldNamed(def, flow, text);
          if (target) return edit(turn, def, flow, target, "");
          return (await digress(turn, dialog, def, flow, false)) ?? failure(turn, def, flow, "");
        }
        if (CONFIRM_YES.test(command)) return submit(turn, def, flow);
        if (MODIFY.test(command)) return ask(turn, def, { ...flow, step: WHICH_FIELD, attempts: 0 });
        if (BACK.test(text)) return back(turn, def, flow);
        const target = correctionTarget(def, flow, text);
        if (target) return edit(turn, def, flow, target, text);
        return (await digress(turn, dialog, def, flow, false)) ?? failure(turn, def, flow, "");
      }
      case "collect": {
        const step = stepOf(def, flow.step);
        if (!step) return goNext(turn, def, flow);
        if (BACK.test(text)) return back(turn, def, flow);
        const target = correctionTarget(def, flow, text);
        if (target) return edit(turn, def, flow, target, text);
        if (step.optional && SKIP.test(text)) return accept(turn, def, flow, step, null);
        if (!step.validator.strict) {
          const aside = await digress(turn, dialog, def, flow, true);
          if (aside) return aside;
        }
        const result = validate(turn, step, text);
        if (result.ok) return accept(turn, def, flow, step, result);
        const aside = await digress(turn, dialog, def, flow, false);
        return aside ?? failure(turn, def, flow, result.reason);
      }
    }
  }

  return {
    name: "flows",
    async handle(turn: MaybeNested, dialog: Dialog): Promise<DialogOutcome | null> {
      if (turn[NESTED]) return null;
      // Staff have the conversation, or the resident asks for a person: the handoff skill's turn.
      if (turn.status === "escalated" || turn.status === "staff") return null;
      if (turn.kind === "text" && HANDOFF_REQUEST.test(turn.text)) return null;
      const flow = turn.state.flow;
      if (!flow || turn.inGroup) return idle(turn);
      // Staff asked this resident for more information: that answer goes first.
      if (turn.state.infoRequest) return null;
      // A person was just offered (e.g. after words of distress): "好"/"不用" answer that offer.
      if (turn.state.offer === "handoff" && OFFER_ANSWER.test(normalizeCommand(turn.text))) return null;
      const def = flows.get(flow.id);
      if (!def) {
        deps.log.warn({ flow: flow.id }, "conversation waits in a flow that no longer exists; dropping it");
        const cleared = { ...turn.state, flow: undefined };
        return (
          (await idle({ ...turn, state: cleared })) ??
          dialog.respondTo({ ...turn, state: cleared, [NESTED]: true } as DialogTurn, "flows")
        );
      }
      // No masking needed here: the engine stores every inbound message with ID numbers masked.
      return active(turn, dialog, def, flow);
    },
  };
}
