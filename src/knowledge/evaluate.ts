import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { Catalogue } from "./catalogue.ts";

export const evalQuestionSchema = z.object({
  q: z.string().min(1),
  expect: z.string().nullable(),
  tags: z.array(z.string()).default([]),
});
export type EvalQuestion = z.infer<typeof evalQuestionSchema>;

/** Reads the held-out evaluation set (`tests/eval/questions.yml`). */
export function readEvalSet(path: string): EvalQuestion[] {
  const doc = parseYaml(readFileSync(path, "utf8")) as { questions?: unknown };
  return z.array(evalQuestionSchema).parse(doc.questions);
}

export interface EvalReport {
  inScope: number;
  outOfScope: number;
  top1: number;
  top3: number;
  refused: number;
  /** In-scope questions answered with a question back instead of an answer. */
  clarified: number;
  byTag: Record<string, { total: number; top1: number }>;
  /** Misses: what was expected, what came first (null: refused / not understood). */
  confusions: { q: string; expect: string | null; got: string | null; kind: string; tags: string[] }[];
}

/**
 * Runs every question through the same decision the chat uses (no LLM). An in-scope question
 * counts for top-1 only when it is answered with the expected entry first; a question back
 * ("did you mean…") counts for top-3 when the expected entry is among the options.
 */
export function evaluate(catalogue: Catalogue, questions: readonly EvalQuestion[]): EvalReport {
  const report: EvalReport = {
    inScope: 0,
    outOfScope: 0,
    top1: 0,
    top3: 0,
    refused: 0,
    clarified: 0,
    byTag: {},
    confusions: [],
  };
  for (const item of questions) {
    const u = catalogue.understand(item.q);
    if (item.expect === null) {
      report.outOfScope++;
      if (u.kind === "out_of_scope" || u.kind === "unknown") report.refused++;
      else {
        const got = u.kind === "answer" ? u.hits[0]!.id : u.candidates[0]!.id;
        report.confusions.push({ q: item.q, expect: null, got, kind: u.kind, tags: item.tags });
      }
      continue;
    }
    report.inScope++;
    const ranked = u.kind === "answer" ? u.hits : u.kind === "clarify" ? u.candidates : [];
    const hit1 = u.kind === "answer" && ranked[0]?.id === item.expect;
    const hit3 = ranked.slice(0, 3).some((h) => h.id === item.expect);
    if (u.kind === "clarify") report.clarified++;
    if (hit1) report.top1++;
    if (hit3) report.top3++;
    for (const tag of item.tags) {
      const t = report.byTag[tag] ?? { total: 0, top1: 0 };
      report.byTag[tag] = t;
      t.total++;
      if (hit1) t.top1++;
    }
    if (!hit1)
      report.confusions.push({ q: item.q, expect: item.expect, got: ranked[0]?.id ?? null, kind: u.kind, tags: item.tags });
  }
  return report;
}

/** What the catalogue must reach without any LLM (the eval test fails below these). */
export const EVAL_TARGETS = { top1: 0.92, top3: 0.98, refused: 0.95 } as const;

export const rate = (n: number, d: number): number => (d ? n / d : 1);
