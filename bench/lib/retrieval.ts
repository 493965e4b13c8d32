import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import { findExport } from "./find-export.ts";

const root = resolve(import.meta.dirname, "../..");

export type RetrievalResult =
  | { status: "ok"; questions: number; samples: number; medianMs: number; p99Ms: number; source: string }
  | { status: "missing"; note: string };

interface Catalogue {
  search(text: string, k?: number): unknown;
}

/** Times `catalogue.search(question, 3)` for every question of tests/eval/questions.yml, `passes` times each. */
export async function benchRetrieval(passes: number): Promise<RetrievalResult> {
  const found = await findExport<(dir: string) => Catalogue | Promise<Catalogue>>(
    ["src/knowledge", "src/nlu"],
    ["loadCatalogue"],
  );
  if (!found) return { status: "missing", note: "loadCatalogue() not found in src/knowledge or src/nlu yet" };
  const catalogue = await found.fn(resolve(root, "knowledge"));
  if (typeof catalogue?.search !== "function") return { status: "missing", note: `${found.file}: catalogue has no search()` };

  const doc = parse(readFileSync(resolve(root, "tests/eval/questions.yml"), "utf8")) as { questions: { q: string }[] };
  const questions = doc.questions.map((q) => q.q);
  // Warm-up pass: JIT, lazy dictionaries and caches are not what a resident waits for.
  for (const q of questions) await search(catalogue, q);
  const samples: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    for (const q of questions) {
      const t0 = process.hrtime.bigint();
      await search(catalogue, q);
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  samples.sort((a, b) => a - b);
  return {
    status: "ok",
    questions: questions.length,
    samples: samples.length,
    medianMs: quantile(samples, 0.5),
    p99Ms: quantile(samples, 0.99),
    source: found.file,
  };
}

/** Awaits only an asynchronous search, so a synchronous one is timed without a microtask hop. */
function search(catalogue: Catalogue, q: string): unknown {
  const result = catalogue.search(q, 3);
  return result instanceof Promise ? result : undefined;
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
