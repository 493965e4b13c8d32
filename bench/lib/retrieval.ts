import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import { loadCatalogue } from "../../src/knowledge/index.ts";

const root = resolve(import.meta.dirname, "../..");

export interface RetrievalResult {
  questions: number;
  samples: number;
  medianMs: number;
  p99Ms: number;
}

/** Times `catalogue.search(question, 3)` for every question of tests/eval/dev-set.yml, `passes` times each. */
export async function benchRetrieval(passes: number): Promise<RetrievalResult> {
  const catalogue = await loadCatalogue(resolve(root, "knowledge"));

  const doc = parse(readFileSync(resolve(root, "tests/eval/dev-set.yml"), "utf8")) as { questions: { q: string }[] };
  const questions = doc.questions.map((q) => q.q);
  // Warm-up pass: JIT, lazy dictionaries and caches are not what a resident waits for.
  for (const q of questions) catalogue.search(q, 3);
  const samples: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    for (const q of questions) {
      const t0 = process.hrtime.bigint();
      catalogue.search(q, 3);
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  samples.sort((a, b) => a - b);
  return {
    questions: questions.length,
    samples: samples.length,
    medianMs: quantile(samples, 0.5),
    p99Ms: quantile(samples, 0.99),
  };
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
