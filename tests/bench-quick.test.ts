import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROWS } from "../bench/lib/table.ts";

// A smoke test that `npm run bench -- --quick` still works end to end. It asserts the table is
// complete, never how fast anything was: these machines are too noisy for timing assertions.
const root = resolve(import.meta.dirname, "..");
const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");
const dir = mkdtempSync(join(tmpdir(), "yongju-bench-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run bench -- --quick", () => {
  it("measures every row of the table and writes it with the machine it ran on", () => {
    const out = join(dir, "results.md");
    const run = spawnSync(process.execPath, [tsxCli, "bench/run.ts", "--quick", "--out", out], {
      cwd: root,
      encoding: "utf8",
      timeout: 110_000,
    });
    expect(run.status, run.stderr).toBe(0);

    const rows = run.stdout.split("\n").filter((line) => line.startsWith("| ") && !line.startsWith("| Measure"));
    expect(rows.map((line) => line.split(" | ")[0]!.slice(2))).toEqual(ROWS.map((r) => r.measure));
    for (const line of rows) {
      const figure = line.split(" | ")[1]!;
      expect(figure, line).not.toMatch(/^(failed|not measured)/);
    }
    // Every message the load got an answer for is in the database.
    expect(rows.find((l) => l.includes("every message persisted"))).toMatch(/\| ✓ \|$/);

    const written = readFileSync(out, "utf8");
    expect(written).toContain(`Node ${process.version}`);
    expect(written).toMatch(/Machine: \d+ cores/);
    expect(written).toContain(rows[0]!);
  }, 120_000);
});
