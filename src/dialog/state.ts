import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { sourceSchema } from "../domain/types.ts";

const slotValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** One answer to a flow step as the state may keep it: an ID number only masked, with its ciphertext. */
export const flowAnswerSchema = z.object({
  value: z.string().nullable(),
  /** AES-256-GCM ciphertext of the clear ID number (src/lib/crypto.ts). */
  enc: z.string().optional(),
  /** Extra application fields the validator read (address parts, permit number). */
  data: z.record(z.string(), z.string()).optional(),
  /** How the value is shown to the resident (masked where personal). */
  shown: z.string(),
});

/** Answers the resident must pick from or confirm before they are used (a guessed date, two phone numbers). */
export const flowTentativeSchema = z.object({ options: z.array(flowAnswerSchema).min(1), question: z.string() });

/** Values read from one message: answers, answers to confirm, and why some were not taken. */
export const flowHarvestSchema = z.object({
  answers: z.record(z.string(), flowAnswerSchema),
  tentative: z.record(z.string(), flowTentativeSchema),
  problems: z.record(z.string(), z.string()),
});

/** A guided flow in progress (see src/flows/). */
export const flowStateSchema = z.object({
  id: z.string(),
  /** consent → collect → confirm; `resume` asks whether to continue a flow left > 1 day. */
  phase: z.enum(["consent", "collect", "confirm", "resume"]),
  /** The slot currently asked for (collect phase). */
  step: z.string().nullable(),
  slots: z.record(z.string(), slotValue),
  /** Slots in the order they were filled, for "上一步". */
  history: z.array(z.string()),
  attempts: z.number().int().min(0),
  /** Set while correcting one value from the summary: return to confirm afterwards. */
  editing: z.string().nullable().default(null),
  startedAt: z.number(),
  updatedAt: z.number(),
  /** Answers waiting for the resident to confirm or pick one (slot → options and the question). */
  tentative: z.record(z.string(), flowTentativeSchema).optional(),
  /**
   * Values typed before consent ("我要登记，我叫张三…"): kept here only, used once the resident
   * agrees, and dropped with the flow if they decline.
   */
  pending: flowHarvestSchema.optional(),
});
export type FlowState = z.infer<typeof flowStateSchema>;

/**
 * An option offered to the resident: "1"/"2" or the option itself selects it, and the turn then
 * reads as if the resident had typed it. Kept as its text; states written before 2026-12-01 kept
 * `{ label, say }` (the same text twice, as many bytes again in every state), read here as `say`.
 */
export const pendingChoiceSchema = z.union([
  z.string(),
  z.object({ label: z.string(), say: z.string() }).transform((c) => c.say),
]);

/**
 * What the conversation is about: the entries the last catalogue answer came from (main first;
 * two when one message asked two questions), the parts it gave, a guided flow it offered, and
 * parts asked in a follow-up that wait for the resident to say which topic. Expires after
 * `TOPIC_TTL_MS` (src/dialog/skills/faq.ts).
 */
export const topicSchema = z.object({
  entries: z.array(z.string()),
  /** What the last answer gave: part keys, or "summary". */
  parts: z.array(z.string()).default([]),
  /** The command of a guided flow offered with the answer ("我要登记"): "好"/"帮我办" starts it. */
  flow: z.string().optional(),
  /** The answer asked "要我帮您在线办理…吗？": a bare "好" accepts. */
  flowAsked: z.boolean().optional(),
  /** Parts a follow-up asked for, waiting for "which one?" to be answered. */
  pending: z.array(z.string()).optional(),
  /** When the topic was set (ms). */
  at: z.number(),
});
export type Topic = z.infer<typeof topicSchema>;

export const conversationStateSchema = z.object({
  flow: flowStateSchema.optional(),
  /** Options offered by the last reply, so "1"/"2" can select them. */
  choices: z.array(pendingChoiceSchema).optional(),
  /** The conversation's topic: follow-ups that name no topic are answered from it. */
  topic: topicSchema.optional(),
  /** Entries cited by the last answer, for 有用/没用 feedback. */
  lastSources: z.array(sourceSchema).optional(),
  /** Consecutive messages the assistant did not understand (two → offer/handoff). */
  misunderstood: z.number().int().min(0).default(0),
  /** An offer awaiting yes/no, e.g. "需要转人工吗？" */
  offer: z.enum(["handoff"]).optional(),
  /** Why a handoff was offered (wage, dispute, distress…), kept for the escalation reason. */
  offerReason: z.string().optional(),
  /** Staff asked for more information on this application: the next message answers it. */
  infoRequest: z.object({ applicationId: z.string() }).optional(),
  /** "提醒我签注": registering a permit for endorsement reminders (src/reminders/skill.ts). */
  reminderSetup: z
    .object({
      step: z.enum(["consent", "number", "date"]),
      permitNumber: z.string().optional(),
      /** Keyed hash of an ID number (never the number itself) and its masked form. */
      idNumberHash: z.string().optional(),
      idNumberMasked: z.string().optional(),
      attempts: z.number().int().min(0).default(0),
      updatedAt: z.number(),
    })
    .optional(),
});
export type ConversationState = z.infer<typeof conversationStateSchema>;

/**
 * The version of each conversation row whose state this process wrote last (the row's `version`
 * after that commit). Reading that version back needs no schema check: it is exactly what the
 * schema accepted a turn ago (the check is a few per cent of a chat turn's CPU). Every writer of
 * a conversation's state bumps its version (optimistic concurrency depends on it), so a state
 * written since by another instance, by an older version or by staff has another version and is
 * checked. Numbers, not the state texts: keeping the last text of thousands of conversations
 * made every turn leave a long-lived copy behind for the garbage collector (measured). Bounded;
 * the oldest conversations go first.
 */
const written = new Map<string, number>();
const WRITTEN_MAX = 20_000;
/** In the test suite every state written is also checked against the schema, so a turn that writes a state the schema would refuse fails its test. */
const CHECK_WRITES = Boolean(process.env.VITEST);

/** The state as stored in a conversation row. */
export function serializeState(state: ConversationState): string {
  const json = JSON.stringify(state);
  if (CHECK_WRITES) {
    const plain: unknown = JSON.parse(json);
    const checked = conversationStateSchema.safeParse(plain);
    if (!checked.success || !isDeepStrictEqual(checked.data, plain)) {
      throw new Error(`a turn wrote a state the schema does not give back as it is: ${checked.error?.message ?? json}`);
    }
  }
  return json;
}

/** After a commit: conversation `conversationId` now holds, at `version`, a state serializeState gave. */
export function rememberWritten(conversationId: string, version: number): void {
  if (!written.has(conversationId) && written.size >= WRITTEN_MAX) written.delete(written.keys().next().value as string);
  written.set(conversationId, version);
}

/** Parses stored state; anything unreadable starts clean rather than breaking the chat. */
export function parseState(
  json: string | null | undefined,
  row?: { conversationId: string; version: number },
): ConversationState {
  if (!json) return { misunderstood: 0 };
  try {
    const plain: unknown = JSON.parse(json);
    if (row !== undefined && written.get(row.conversationId) === row.version) return plain as ConversationState;
    const parsed = conversationStateSchema.safeParse(plain);
    return parsed.success ? parsed.data : { misunderstood: 0 };
  } catch {
    return { misunderstood: 0 };
  }
}
