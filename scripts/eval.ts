/**
 * `npm run eval`: runs the held-out question set (tests/eval/questions.yml) through the same
 * retrieval the chat uses (no LLM) and prints top-1 / top-3 accuracy, the out-of-scope refusal
 * rate, accuracy per tag and every confusion. Exits 1 when a target is missed.
 *
 *   npm run eval                 # the default set
 *   npm run eval -- other.yml    # another set in the same format
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCatalogue } from "../src/knowledge/index.ts";
import { EVAL_TARGETS, evaluate, rate, readEvalSet } from "../src/knowledge/evaluate.ts";

const root = join(fileURLToPath(import.meta.url), "../..");
const file = process.argv[2] ?? join(root, "tests/eval/questions.yml");

const started = performance.now();
const catalogue = await loadCatalogue();
const built = performance.now() - started;
const questions = readEvalSet(file);
const report = evaluate(catalogue, questions);

// Per-question cost, for information (the benchmark measures it properly).
const times: number[] = [];
for (let round = 0; round < 5; round++) {
  for (const q of questions) {
    const t = performance.now();
    catalogue.understand(q.q);
    times.push(performance.now() - t);
  }
}
times.sort((a, b) => a - b);

const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
const top1 = rate(report.top1, report.inScope);
const top3 = rate(report.top3, report.inScope);
const refused = rate(report.refused, report.outOfScope);
const mark = (ok: boolean) => (ok ? "ok" : "BELOW TARGET");

console.log(`Evaluation set: ${file}`);
console.log(
  `  ${report.inScope} in-scope questions, ${report.outOfScope} out-of-scope; catalogue of ${catalogue.entries.length} entries`,
);
console.log("");
console.log(
  `  top-1 accuracy          ${pct(top1).padStart(6)}  (target ${pct(EVAL_TARGETS.top1)})  ${mark(top1 >= EVAL_TARGETS.top1)}`,
);
console.log(
  `  top-3 accuracy          ${pct(top3).padStart(6)}  (target ${pct(EVAL_TARGETS.top3)})  ${mark(top3 >= EVAL_TARGETS.top3)}`,
);
console.log(
  `  out-of-scope refused    ${pct(refused).padStart(6)}  (target ${pct(EVAL_TARGETS.refused)})  ${mark(refused >= EVAL_TARGETS.refused)}`,
);
console.log(`  asked back ("did you mean…") on ${report.clarified} in-scope questions`);
console.log("");
console.log("  top-1 by tag:");
for (const [tag, t] of Object.entries(report.byTag).sort()) {
  console.log(`    ${tag.padEnd(14)} ${pct(t.top1 / t.total).padStart(6)}  (${t.top1}/${t.total})`);
}
console.log("");
console.log(
  `  retrieval time per question: median ${(times[Math.floor(times.length / 2)]! * 1000).toFixed(0)} µs, ` +
    `p95 ${(times[Math.floor(times.length * 0.95)]! * 1000).toFixed(0)} µs (index built in ${built.toFixed(0)} ms)`,
);
console.log("");
if (report.confusions.length) {
  console.log(`Confusions (${report.confusions.length}):`);
  for (const c of report.confusions) {
    const got = c.got === null ? "(refused)" : c.got;
    console.log(`  [${c.tags.join(",")}] ${c.q}\n      expected ${c.expect ?? "(refusal)"} → ${c.kind}: ${got}`);
  }
} else {
  console.log("No confusions.");
}

const pass = top1 >= EVAL_TARGETS.top1 && top3 >= EVAL_TARGETS.top3 && refused >= EVAL_TARGETS.refused;
process.exitCode = pass ? 0 : 1;
