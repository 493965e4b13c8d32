import { z } from "zod";
import { awaitingTypes } from "../domain/types.ts";
import { validatorNames } from "./validators.ts";

/**
 * The shape of one guided-flow file in intents/. Conditions are data (`when:`), never code:
 * - `{ housingType: 租房 }` the slot equals the value;
 * - `{ district: [海曙区, 鄞州区] }` the slot is one of them;
 * - `{ useLast: { not: 用上次登记的信息 } }` the slot is anything else, or not filled;
 * - `{ _hasLast: { set: true } }` the slot is (or is not) filled.
 */
const slotName = z.string().regex(/^_?[a-z][A-Za-z0-9]*$/, { error: "must be camelCase letters and digits (e.g. moveInDate)" });
const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const conditionSchema = z.union([
  scalar,
  z.array(scalar).min(1),
  z.object({ not: z.union([scalar, z.array(scalar).min(1)]) }).strict(),
  z.object({ set: z.boolean() }).strict(),
]);
export type Condition = z.infer<typeof conditionSchema>;

export const flowStepSchema = z
  .object({
    slot: slotName,
    type: z.enum(awaitingTypes),
    /** How the value is called in the summary and in "要改哪一项？". */
    label: z.string().min(1),
    /** Words a resident uses for this value in a correction ("电话填错了"). */
    aliases: z.array(z.string().min(1)).default([]),
    prompt: z.string().min(1),
    reprompt: z.string().min(1),
    /** Shown with the format help after three failed attempts. */
    example: z.string().min(1),
    validation: z.object({ validator: z.enum(validatorNames), options: z.record(z.string(), z.unknown()).default({}) }).strict(),
    when: z.record(slotName, conditionSchema).optional(),
    /** The resident may answer "跳过". */
    optional: z.boolean().default(false),
    /** Kept out of the summary (e.g. the "use last time's details" question). */
    hidden: z.boolean().default(false),
    /** Copies earlier slots when a given answer is chosen: { 答案: { targetSlot: sourceSlot } }. */
    copy: z.record(z.string(), z.record(slotName, slotName)).optional(),
  })
  .strict();
export type FlowStep = z.infer<typeof flowStepSchema>;

/** What the resident is told when staff decide; {title}, {reference} and {reason} are filled in. */
export const decisionNoticesSchema = z
  .object({
    /** A line holding {reason} is left out when staff gave none. */
    approved: z.string().min(1),
    /** Staff must give a reason; it replaces {reason}. */
    rejected: z
      .string()
      .min(1)
      .refine((t) => t.includes("{reason}"), { error: "must contain {reason}" }),
    /** What staff ask for replaces {reason}; the resident's next message answers it. */
    info_requested: z
      .string()
      .min(1)
      .refine((t) => t.includes("{reason}"), { error: "must contain {reason}" }),
  })
  .strict();

export const flowFileSchema = z
  .object({
    kind: z.literal("flow"),
    /** The application type it creates (snake_case); the file is named after it with - for _. */
    id: z.string().regex(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, { error: "must be snake_case, e.g. permit_replacement" }),
    title: z.string().min(1),
    description: z.string().min(1),
    /** The catalogue entry the flow rests on; its answer may offer to start the flow. */
    cites: z.string().min(1),
    triggers: z
      .object({
        /** Whole messages that start the flow ("我要登记"). */
        phrases: z.array(z.string().min(1)).min(1),
        /** With an imperative ("我要…", "帮我…", "办理…") these start the flow too. */
        keywords: z.array(z.string().min(1)).default([]),
        /** …unless one of these is in the message (they belong to another flow). */
        excludes: z.array(z.string().min(1)).default([]),
      })
      .strict(),
    /**
     * `say`: the command that starts the flow ("我要签注"), used in menus and help; `entries`:
     * catalogue answers that offer the flow afterwards ("要我帮您在线办理…吗？").
     */
    offer: z.object({ entries: z.array(z.string().min(1)).default([]), say: z.string().min(1) }).strict(),
    /** What staff see: the application type's name, and labels for data fields that are not steps. */
    staff: z
      .object({
        label: z.string().min(1),
        /** Labels for fields a step's validator or a `copy:` adds (address parts, permit number…). */
        fields: z.record(z.string(), z.string().min(1)).default({}),
      })
      .strict(),
    decisions: decisionNoticesSchema,
    consent: z
      .object({
        version: z.string().min(1),
        collected: z.string().min(1),
        purpose: z.string().min(1),
        /**
         * How long it is kept, with the configured periods as {transcripts} and {applications}
         * (both required: the notice must say what the retention job does).
         */
        retention: z.string().min(1),
      })
      .strict(),
    /** Named code that fills hidden `_` slots before the first step (e.g. last registration). */
    prefill: z.enum(["last_address_report"]).optional(),
    steps: z.array(flowStepSchema).min(1),
    /** Sent after submission; {reference} and {title} are filled in. */
    submitted: z.string().min(1),
  })
  .strict();
export type FlowFile = z.infer<typeof flowFileSchema>;
export type FlowDefinition = FlowFile;
