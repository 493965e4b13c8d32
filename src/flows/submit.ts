import { type NewApplication, newReference } from "../domain/applications.ts";
import type { DialogOutcome, DialogTurn } from "../dialog/dialog.ts";
import type { FlowState } from "../dialog/state.ts";
import { decryptSecret, hashIdNumber } from "../lib/crypto.ts";
import type { LoadedFlow } from "./loader.ts";
import { ask, end } from "./prompts.ts";
import type { FlowRuntime } from "./runtime.ts";
import { clearSlot, type Slots } from "./slots.ts";
import { flowWording as w } from "./wording.ts";

/**
 * Submission as data: the flow's answers become an application record (type = the flow's id),
 * which the turn store writes in the same transaction as the reply that quotes its reference.
 * This is the one place that turns a flow into a stored record.
 */

/** Slots stored in their own columns rather than in the application's data. */
const COLUMN_SLOTS = new Set(["name", "phone"]);

const str = (v: Slots[string] | undefined) => (typeof v === "string" && v ? v : null);

/** The application a finished flow records, or the step whose ID number could not be read back. */
export function applicationOf(
  rt: FlowRuntime,
  def: LoadedFlow,
  slots: Slots,
  reference: string,
): { application: NewApplication } | { lostSecret: string } {
  const idStep = def.steps.find((s) => typeof slots[`${s.slot}#enc`] === "string");
  let id: Pick<NewApplication, "idNumberEnc" | "idNumberHash" | "idNumberMasked"> = {};
  if (idStep) {
    const enc = slots[`${idStep.slot}#enc`] as string;
    try {
      const clear = decryptSecret(rt.secrets.encryptionKey, enc);
      id = {
        idNumberEnc: enc,
        idNumberHash: hashIdNumber(rt.secrets.hashKey, clear),
        idNumberMasked: String(slots[idStep.slot]),
      };
    } catch {
      return { lostSecret: idStep.slot };
    }
  }
  const idSlots = new Set(def.steps.filter((s) => s.type === "id_number").map((s) => s.slot));
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(slots)) {
    if (key.startsWith("_") || key.includes("#") || idSlots.has(key) || COLUMN_SLOTS.has(key)) continue;
    data[key] = value;
  }
  for (const [key, value] of Object.entries(slots)) {
    if (key.endsWith("#data") && typeof value === "string") Object.assign(data, JSON.parse(value));
  }
  return {
    application: {
      reference,
      type: def.id,
      data,
      name: str(slots.name),
      phone: str(slots.phone),
      district: str(slots.district),
      ...id,
    },
  };
}

/** 确认提交: records the application and tells the resident its reference. */
export async function submit(rt: FlowRuntime, turn: DialogTurn, def: LoadedFlow, flow: FlowState): Promise<DialogOutcome> {
  let reference = newReference(turn.now, rt.timeZone);
  for (let i = 0; i < 5 && (await rt.applications.referenceExists(reference)); i++)
    reference = newReference(turn.now, rt.timeZone);
  const made = applicationOf(rt, def, flow.slots, reference);
  if ("lostSecret" in made) {
    // The key changed between the answer and the submit: ask again rather than store garbage.
    rt.log.warn({ flow: def.id }, "could not decrypt a stored ID number; asking again");
    const cleared: Slots = { ...flow.slots };
    clearSlot(def, cleared, made.lostSecret);
    return ask(turn, def, { ...flow, phase: "collect", step: made.lostSecret, slots: cleared }, [w.secretLost]);
  }
  const text = def.submitted.replaceAll("{reference}", reference).replaceAll("{title}", def.title);
  // A district the resident told us (not one copied from an old registration) is where they live now.
  const district = flow.history.includes("district") ? str(flow.slots.district) : null;
  return end(turn, `flow:${def.id}:submitted`, text, {
    effects: [{ type: "application.submit", application: made.application }],
    ...(district ? { resident: { district } } : {}),
  });
}
