/**
 * The evaluation sets' formats and the figures computed from what the chat replied. Running the
 * sets through the service is `scripts/lib/eval-run.ts` (used by `npm run eval` and the tests).
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { partKeys } from "./schema.ts";

/** One question: the entry that must answer it, or null / `out_of_scope` for a message to decline. */
export const evalQuestionSchema = z.object({
  q: z.string().min(1),
  expect: z
    .string()
    .nullable()
    .transform((v) => (v === "out_of_scope" ? null : v)),
  tags: z.array(z.string()).default([]),
});
export type EvalQuestion = z.infer<typeof evalQuestionSchema>;

/** Two turns: the first sets the topic, the second asks `part` of `expect` (or changes the subject: `new_topic`). */
export const followUpSchema = z.object({
  turns: z.tuple([z.string().min(1), z.string().min(1)]),
  expect: z.string().min(1),
  part: z.enum([...partKeys, "summary", "new_topic"]),
  tags: z.array(z.string()).default([]),
});
export type FollowUp = z.infer<typeof followUpSchema>;

function readYaml(path: string): Record<string, unknown> {
  return (parseYaml(readFileSync(path, "utf8")) ?? {}) as Record<string, unknown>;
}

/** Reads a question set (`tests/eval/dev-set.yml`, `tests/eval/test-set.yml`). */
export function readEvalSet(path: string): EvalQuestion[] {
  return z.array(evalQuestionSchema).parse(readYaml(path).questions);
}

/** Reads a follow-up set (`tests/eval/followups-dev.yml`, `tests/eval/followups-test.yml`). */
export function readFollowUps(path: string): FollowUp[] {
  return z.array(followUpSchema).parse(readYaml(path).conversations);
}

/** Reads the wording no reply may contain (`tests/eval/dead-ends.yml`). */
export function readDeadEnds(path: string): string[] {
  return z.array(z.string().min(1)).parse(readYaml(path).phrases);
}

export interface QuestionReport {
  inScope: number;
  outOfScope: number;
  top1: number;
  top3: number;
  /** Out-of-scope messages declined (no entry cited). */
  declined: number;
  /** In-scope questions answered with a question back instead of an answer. */
  clarified: number;
  byTag: Record<string, { total: number; top1: number }>;
  /** Misses: what was expected, what came first (null: declined / not understood). */
  confusions: { q: string; expect: string | null; got: string | null; kind: string; tags: string[] }[];
}

export interface FollowUpReport {
  total: number;
  /** Follow-ups answered from the expected entry (the topic, or the new topic for `new_topic`). */
  fromTopic: number;
  /** …and with the part asked (for `new_topic`: the new entry is enough). */
  rightPart: number;
  misses: { turns: [string, string]; expect: string; part: string; got: string | null; gotParts: string[] }[];
}

export interface DeadEndReport {
  replies: number;
  /** Replies containing dead-end wording, with the phrase found. */
  found: { text: string; phrase: string; after: string }[];
}

/** What the issue asks of the blind test set and every reply; the development sets keep their own bars. */
export const EVAL_TARGETS = {
  test: { top1: 0.95, declined: 0.95 },
  dev: { top1: 0.92, top3: 0.98, declined: 0.95, fromTopic: 0.9 },
  followUps: { fromTopic: 0.95 },
  deadEnds: 0,
} as const;

export const rate = (n: number, d: number): number => (d ? n / d : 1);

/** The first dead-end phrase a text contains, if any. */
export function deadEndIn(text: string, phrases: readonly string[]): string | undefined {
  return phrases.find((p) => text.includes(p));
}
