/**
 * The guided-flows skill ("flows"): runs the flows defined in intents/, and answers status
 * look-ups and PIPL requests. Exports `createFlowsSkill`. This file only routes a turn; the
 * engine's parts are:
 *
 * - fill.ts, extract.ts, mentions.ts: slot filling — the answer to the step asked, and every
 *   other answer a message holds (several fields at once, before consent too);
 * - prompts.ts: what to ask next (a step, a question about a guessed value, the summary) and
 *   the format help after three failed attempts;
 * - repair.ts: going back, corrections, a question or aside midway;
 * - submit.ts: the application record a finished flow hands to the store;
 * - slots.ts: the answers and the `when:` rules over them; validators.ts: the kinds of value.
 *
 * Every flow gets the same patterns from this engine: consent first, cancel, go back, correct a
 * value, a question midway (answered by the other skills, then the same step again), talk to a
 * person (left to the handoff skill), three failed attempts, coming back after a day, and a
 * summary to confirm before anything is submitted.
 */
import type { Logger } from "pino";
import type { ApplicationRepo } from "../data/applications.ts";
import type { Dialog, DialogOutcome, DialogTurn, Skill } from "../dialog/dialog.ts";
import type { FlowState } from "../dialog/state.ts";
import { replies as coreReplies } from "../dialog/wording.ts";
import { hasNoWords } from "../lib/text.ts";
import { collect, hasAnything, mergePending, read, usePending } from "./fill.ts";
import { type LoadedFlow, loadFlows } from "./loader.ts";
import { runPrefill } from "./prefill.ts";
import { ask, end, failure, goNext, WHICH_FIELD } from "./prompts.ts";
import { back, correctionTarget, digress, edit, fieldNamed, type MaybeNested, NESTED } from "./repair.ts";
import type { FlowRuntime } from "./runtime.ts";
import { setAnswer, stepOf, toAnswer } from "./slots.ts";
import { DEFAULT_RETENTION, type RetentionPolicy } from "../domain/retention.ts";
import { deletionText, statusText, withdrawnText } from "./status.ts";
import { submit } from "./submit.ts";
import {
  BACK,
  CANCEL,
  DELETE_DATA,
  HANDOFF_REQUEST,
  isStatusRequest,
  matchTrigger,
  normalizeCommand,
  SKIP,
  WITHDRAW_CONSENT,
} from "./triggers.ts";
import { flowWording as w } from "./wording.ts";

export interface FlowsSkillDeps {
  config: { TZ: string; retention?: RetentionPolicy };
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
/** Yes/no to an offer of a person, which the handoff skill answers. */
const OFFER_ANSWER = /^(好|好的|好啊|需要|需要的|要|是|是的|可以|嗯|嗯嗯|行|对|ok|不|不用|不需要|不要|先不用|暂时不用|不了)$/i;

const CONSENT_YES = /^(同意|我同意|同意的|同意了|好|好的|好啊|可以|行|没问题|确定|ok|愿意|接受|嗯|嗯嗯|是|是的)$/i;
const CONSENT_NO = /^(不同意|我不同意|拒绝|不愿意|不要|不了|不用|不用了|不行|不可以|否)$/;
const CONFIRM_YES = /^(确认提交|确认|提交|确定|确定提交|没问题|对的|都对|正确|无误|是的|好的|好|可以|ok|没错)$/i;
const MODIFY = /^(修改|改|要改|我要改|我要修改|更改|有错|不对|修改一下|改一下|有问题|需要修改)$/;
const RESUME_CONTINUE = /^(继续办理|继续|接着办|接着|继续吧|好的|好|是|是的|嗯)$/;
const RESUME_RESTART = /^(重新开始|重新|重来|重新填|重新办|从头开始|从头来)$/;

export function createFlowsSkill(deps: FlowsSkillDeps): Skill {
  const retention = deps.config.retention ?? DEFAULT_RETENTION;
  const rt: FlowRuntime = {
    flows: deps.flows ?? loadFlows(deps.intentsDir, retention),
    timeZone: deps.config.TZ,
    secrets: deps.secrets,
    applications: deps.store.applications,
    log: deps.log,
    isCatalogueQuestion: deps.isCatalogueQuestion,
  };
  const { flows, applications } = rt;

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
    // "我要登记，我叫张三，住在…", "我的居住证丢了": answers are read now but kept aside until consent.
    const early = read(rt, turn, def, flow, turn.text);
    return ask(turn, def, hasAnything(early) ? { ...flow, pending: early } : flow);
  }

  async function status(turn: DialogTurn): Promise<DialogOutcome> {
    const text = await statusText(applications, turn.residentId, turn.text, flows, rt.timeZone);
    return {
      intent: "application_status",
      replies: [{ intent: "application_status", text }],
      state: { ...turn.state, misunderstood: 0 },
    };
  }

  async function deletion(turn: DialogTurn): Promise<DialogOutcome> {
    return end(turn, "deletion_request", await deletionText(applications, turn.residentId, retention), {
      effects: [{ type: "deletion.request" }],
      resident: { consentAt: null, consentVersion: null, consentWithdrawnAt: turn.now },
    });
  }

  function withdraw(turn: DialogTurn): DialogOutcome {
    return end(turn, "consent_withdrawn", withdrawnText(retention), {
      resident: { consentAt: null, consentVersion: null, consentWithdrawnAt: turn.now },
    });
  }

  /** Personal matters are never handled in a group chat: invite to a private chat instead. */
  function inGroup(turn: DialogTurn): DialogOutcome | null {
    const def = matchTrigger(turn.text, flows.values())?.flow;
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
    const match = matchTrigger(turn.text, flows.values());
    return match ? start(turn, match.flow) : null;
  }

  // ── inside a flow, phase by phase ─────────────────────────────────────────────────────────

  async function consent(turn: DialogTurn, dialog: Dialog, def: LoadedFlow, flow: FlowState): Promise<DialogOutcome> {
    const command = normalizeCommand(turn.text);
    // Declining forgets the flow, and with it anything typed before.
    if (CONSENT_NO.test(command)) return end(turn, `flow:${def.id}:declined`, w.declined(def));
    // "同意，我叫张三…": consent, with answers after it.
    // The rest of the message is read as typed: splitting it would break "+86 139 1234 5678".
    const split = /^([^，,。.;；!！\s]+)[，,。.;；!！\s]+(.+)$/su.exec(turn.text.trim());
    const yes = CONSENT_YES.test(command) || (split !== null && CONSENT_YES.test(normalizeCommand(split[1] as string)));
    const later = read(rt, turn, def, flow, yes ? (split?.[2] ?? "") : turn.text);
    if (yes) {
      const agreed: FlowState = { ...flow, phase: "collect", pending: mergePending(flow.pending, later) };
      const used = usePending(def, agreed);
      return goNext(turn, def, used.flow, used.lead, {
        resident: { consentAt: turn.now, consentVersion: `${def.id}:${def.consent.version}`, consentWithdrawnAt: null },
      });
    }
    // Answers typed instead of a yes are kept aside too, and consent is asked again.
    if (hasAnything(later)) return ask(turn, def, { ...flow, pending: mergePending(flow.pending, later) });
    return (await digress(rt, turn, dialog, def, flow, false)) ?? failure(turn, def, flow, "");
  }

  async function resume(turn: DialogTurn, dialog: Dialog, def: LoadedFlow, flow: FlowState): Promise<DialogOutcome> {
    const command = normalizeCommand(turn.text);
    if (RESUME_RESTART.test(command)) {
      const slots = def.prefill ? await runPrefill(def.prefill, applications, turn.residentId) : {};
      const fresh: FlowState = { ...flow, slots, history: [], editing: null, tentative: undefined, startedAt: turn.now };
      return goNext(turn, def, fresh, [w.restarted]);
    }
    if (RESUME_CONTINUE.test(command)) {
      const editing = flow.editing ? stepOf(def, flow.editing) : undefined;
      if (editing) return ask(turn, def, { ...flow, phase: "collect", step: editing.slot }, [w.resumed]);
      return goNext(turn, def, flow, [w.resumed]);
    }
    return (await digress(rt, turn, dialog, def, flow, false)) ?? failure(turn, def, flow, "");
  }

  async function confirm(turn: DialogTurn, dialog: Dialog, def: LoadedFlow, flow: FlowState): Promise<DialogOutcome> {
    const text = turn.text.trim();
    if (flow.step === WHICH_FIELD) {
      if (BACK.test(text)) return ask(turn, def, { ...flow, step: null });
      const target = fieldNamed(def, flow, text);
      if (target) return edit(rt, turn, def, flow, target, "");
      return (await digress(rt, turn, dialog, def, flow, false)) ?? failure(turn, def, flow, "");
    }
    const command = normalizeCommand(text);
    if (CONFIRM_YES.test(command)) return submit(rt, turn, def, flow);
    if (MODIFY.test(command)) return ask(turn, def, { ...flow, step: WHICH_FIELD, attempts: 0 });
    if (BACK.test(text)) return back(turn, def, flow);
    const target = correctionTarget(def, flow, text);
    if (target) return edit(rt, turn, def, flow, target, text);
    return (await digress(rt, turn, dialog, def, flow, false)) ?? failure(turn, def, flow, "");
  }

  async function answer(turn: DialogTurn, dialog: Dialog, def: LoadedFlow, flow: FlowState): Promise<DialogOutcome> {
    const step = stepOf(def, flow.step);
    if (!step) return goNext(turn, def, flow);
    const text = turn.text.trim();
    if (BACK.test(text)) return back(turn, def, flow);
    const target = correctionTarget(def, flow, text);
    if (target) return edit(rt, turn, def, flow, target, text);
    if (step.optional && SKIP.test(text) && !flow.tentative?.[step.slot]) {
      const skipped = setAnswer(def, flow, step, toAnswer(step, null, rt.secrets.encryptionKey));
      return goNext(turn, def, { ...skipped, attempts: 0, editing: null }, flow.editing ? [w.edited] : []);
    }
    if (!step.validator.strict) {
      const aside = await digress(rt, turn, dialog, def, flow, true);
      if (aside) return aside;
    }
    const result = collect(rt, turn, def, flow, step);
    if ("outcome" in result) return result.outcome;
    return (await digress(rt, turn, dialog, def, flow, false)) ?? failure(turn, def, flow, result.reason);
  }

  async function active(turn: DialogTurn, dialog: Dialog, def: LoadedFlow, flow: FlowState): Promise<DialogOutcome> {
    if (turn.kind !== "text") return ask(turn, def, flow, [coreReplies.nonText().text]);
    if (turn.text === "") return ask(turn, def, flow, [coreReplies.empty().text]);
    if (hasNoWords(turn.text)) return ask(turn, def, flow, [coreReplies.noWords().text]);

    const text = turn.text.trim();
    if (CANCEL.test(text)) return end(turn, `flow:${def.id}:cancelled`, w.cancelled(def));
    if (DELETE_DATA.test(text)) return deletion(turn);
    if (WITHDRAW_CONSENT.test(normalizeCommand(text))) return withdraw(turn);
    if (flow.phase !== "consent" && flow.phase !== "resume" && turn.now - flow.updatedAt > STALE_AFTER_MS) {
      return ask(turn, def, { ...flow, phase: "resume", attempts: 0 });
    }
    switch (flow.phase) {
      case "consent":
        return consent(turn, dialog, def, flow);
      case "resume":
        return resume(turn, dialog, def, flow);
      case "confirm":
        return confirm(turn, dialog, def, flow);
      case "collect":
        return answer(turn, dialog, def, flow);
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
