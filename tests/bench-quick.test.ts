import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROWS, SOAK_ROWS } from "../bench/lib/table.ts";

// A smoke test that `npm run bench -- --quick` (and `--soak --quick`) still works end to end. It
// asserts the tables are complete, never how fast anything was: these machines are too noisy for
// timing assertions. The SQLite project runs the SQLite rows, the PostgreSQL project the
// PostgreSQL rows (the only rows that differ between the two), each with a short soak. The runs
// go side by side (`describe.concurrent`): each is mostly service start-ups waiting on the CPU.
const root = resolve(import.meta.dirname, "..");
const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");
const dir = mkdtempSync(join(tmpdir(), "yongju-bench-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const onPostgres = process.env.TEST_DATABASE === "postgres";
const db = onPostgres ? "postgres" : "sqlite";

/** Runs bench/run.ts with `args`; resolves with its exit code and output (killed after `timeoutMs`). */
function bench(args: string[], env: Record<string, string> = {}, timeoutMs = 110_000) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    const proc = spawn(process.execPath, [tsxCli, "bench/run.ts", ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    proc.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    const timer = setTimeout(() => proc.kill("SIGINT"), timeoutMs);
    proc.on("close", (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
  });
}

/** The table's rows as { measure, figure, met }. */
function tableRows(stdout: string) {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("| Measure") && !line.startsWith("| t (s)"))
    .map((line) => {
      const cells = line.split(" | ");
      return { line, measure: cells[0]!.slice(2), figure: cells[1]!, met: cells[cells.length - 1]!.replace(/ \|$/, "") };
    });
}

const PG_KEYS = new Set<string>(["pg1Catalogue", "pg1Flow", "pg2Catalogue", "pg2Flow"]);

describe.concurrent("npm run bench -- --quick", () => {
  it(`measures every ${onPostgres ? "PostgreSQL" : "SQLite"} row of the table and writes it with the machine it ran on`, async () => {
    const out = join(dir, "results.md");
    // The PostgreSQL rows need only the message API; the other parts run on SQLite.
    const run = await bench(["--quick", "--db", db, ...(onPostgres ? ["--only", "api"] : []), "--out", out]);
    expect(run.status, run.stderr).toBe(0);

    const rows = tableRows(run.stdout);
    expect(rows.map((r) => r.measure)).toEqual(ROWS.map((r) => r.measure));
    for (const [i, row] of rows.entries()) {
      const key = ROWS[i]!.key;
      const measured = onPostgres ? PG_KEYS.has(key) : !PG_KEYS.has(key);
      if (measured) expect(row.figure, row.line).not.toMatch(/^(failed|not measured)/);
      else expect(row.figure, row.line).toMatch(/^not measured/);
      // Every message the load got an answer for is in the database, with no error.
      if (measured && (PG_KEYS.has(key) || key === "persisted")) expect(row.met, row.line).toBe("✓");
      // Round trips per turn come from the service's /metrics.
      if (measured && PG_KEYS.has(key)) expect(row.figure).toMatch(/round trips per turn/);
    }

    const written = readFileSync(out, "utf8");
    expect(written).toContain(`Node ${process.version}`);
    expect(written).toMatch(/Machine: \d+ cores/);
    expect(written).toContain(rows[0]!.line);
  }, 120_000);

  it("--soak prints the service's memory over time and its growth", async () => {
    const run = await bench(["--quick", "--soak", "--db", db]);
    expect(run.status, run.stderr).toBe(0);
    const rows = tableRows(run.stdout);
    const soakRow = SOAK_ROWS.find((r) => r.key === (onPostgres ? "soakPostgres" : "soakSqlite"))!;
    const row = rows.find((r) => r.measure === soakRow.measure);
    expect(row?.figure, run.stdout).toMatch(/RSS \d+ → \d+ MB, [+−]\d+\.\d+ MB\/s over the second half/);
    expect(row?.figure).toMatch(/JS heap used \d+ → \d+ MB/);
    // The time series: a sample before the load and at least one a second during it.
    const series = run.stdout.split("\n").filter((line) => /^\| [\d.]+ \| /.test(line));
    expect(series.length).toBeGreaterThanOrEqual(5);
    expect(run.stdout).toMatch(/Growth over the second half/);
  }, 90_000);

  it.skipIf(onPostgres)(
    "reports PostgreSQL as not measured, without failing, when the server is unreachable",
    async () => {
      const run = await bench(["--quick", "--db", "postgres", "--only", "api"], {
        BENCH_PG_ADMIN_URL: "postgresql://app:app@127.0.0.1:1/postgres",
      });
      expect(run.status, run.stderr).toBe(0);
      const pgRows = tableRows(run.stdout).filter((r) => r.measure.includes("PostgreSQL"));
      expect(pgRows).toHaveLength(PG_KEYS.size);
      for (const row of pgRows) expect(row.figure).toMatch(/^not measured: PostgreSQL unreachable at 127\.0\.0\.1:1\/postgres/);
    },
    60_000,
  );
});
