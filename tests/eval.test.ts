import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCatalogue } from "../src/knowledge/index.ts";
import { EVAL_TARGETS, evaluate, rate, readEvalSet } from "../src/knowledge/evaluate.ts";

describe("held-out evaluation (retrieval only, no LLM)", async () => {
  const catalogue = await loadCatalogue();
  const questions = readEvalSet(join(import.meta.dirname, "eval/questions.yml"));
  const report = evaluate(catalogue, questions);
  const misses = report.confusions.map((c) => `${c.q} → expected ${c.expect ?? "refusal"}, got ${c.kind} ${c.got ?? ""}`);

  it("is a real held-out set: ≥ 200 in-scope questions (≥ 4 per entry) and ≥ 20 out of scope", () => {
    expect(report.inScope).toBeGreaterThanOrEqual(200);
    expect(report.outOfScope).toBeGreaterThanOrEqual(20);
    for (const e of catalogue.entries) {
      expect(questions.filter((q) => q.expect === e.id).length, e.id).toBeGreaterThanOrEqual(4);
    }
    // Held-out: none of its questions may appear verbatim among the catalogue's examples.
    const examples = new Set(catalogue.entries.flatMap((e) => e.examples));
    expect(questions.filter((q) => examples.has(q.q)).map((q) => q.q)).toEqual([]);
  });

  it(`puts the right entry first for ≥ ${EVAL_TARGETS.top1 * 100}% of questions`, () => {
    expect(rate(report.top1, report.inScope), misses.join("\n")).toBeGreaterThanOrEqual(EVAL_TARGETS.top1);
  });

  it(`has the right entry among the first three for ≥ ${EVAL_TARGETS.top3 * 100}%`, () => {
    expect(rate(report.top3, report.inScope), misses.join("\n")).toBeGreaterThanOrEqual(EVAL_TARGETS.top3);
  });

  it(`refuses ≥ ${EVAL_TARGETS.refused * 100}% of out-of-scope questions`, () => {
    expect(rate(report.refused, report.outOfScope), misses.join("\n")).toBeGreaterThanOrEqual(EVAL_TARGETS.refused);
  });
});
