import { z } from "zod";
import { sourceSchema } from "../domain/types.ts";

const slotValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

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
});
export type FlowState = z.infer<typeof flowStateSchema>;

/** A numbered option offered to the resident: "1"/"2" or the label selects it. */
export const pendingChoiceSchema = z.object({ label: z.string(), say: z.string() });

export const conversationStateSchema = z.object({
  flow: flowStateSchema.optional(),
  /** Options offered by the last reply, so "1"/"2" can select them. */
  choices: z.array(pendingChoiceSchema).optional(),
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

/** Parses stored state; anything unreadable starts clean rather than breaking the chat. */
export function parseState(json: string | null | undefined): ConversationState {
  if (!json) return { misunderstood: 0 };
  try {
    const parsed = conversationStateSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : { misunderstood: 0 };
  } catch {
    return { misunderstood: 0 };
  }
}
