// `npx tsx bench/import-while-serving.ts`: chat latency while a large permit file is imported
// into the same database, as an office does it (the service keeps running, `npm run
// import:permits` in another process). A steady chat load (--rate messages a second over 10
// connections, 127.0.0.1 only) runs three times: alone, during an unpaced import (5,000 rows per
// transaction, no pause: how the importer worked before) and during the import as it works now
// (short transactions, paced). Prints p50/p99/max of each. `--rows 100000` (default), `--rate
// 200`, `--database postgresql://…` to run on PostgreSQL (default: a fresh SQLite file).
import { fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { startChild } from "./lib/child.ts";

const root = resolve(import.meta.dirname, "..");
const { values: argv } = parseArgs({
  options: { rows: { type: "string" }, rate: { type: "string" }, database: { type: "string" }, baseline: { type: "string" } },
});
const ROWS = Number(argv.rows ?? 100_000);
const RATE = Number(argv.rate ?? 200);
const BASELINE_S = Number(argv.baseline ?? 15);
const API_TOKEN = "bench-token-0123456789";

const dir = mkdtempSync(join(tmpdir(), "yongju-bench-import-"));
const databaseUrl = argv.database ?? `file:${join(dir, "app.db")}`;
const env = {
  DATABASE_URL: databaseUrl,
  DATA_DIR: dir,
  API_TOKEN,
  LOG_LEVEL: "silent",
  RATE_LIMIT_PER_MINUTE: "1000000",
  REMINDER_QUIET_HOURS: "",
  TZ: "Asia/Shanghai",
};

function writeCsv(path: string, offset: number): void {
  const lines = ["channel,userId,permitNumber,holderName,endorseBy"];
  for (let i = 0; i < ROWS; i++) {
    const n = offset + i;
    const day = String((n % 28) + 1).padStart(2, "0");
    lines.push(`api,holder-${n},NB${String(n).padStart(10, "0")},居民${n},2027-0${(n % 9) + 1}-${day}`);
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
}

interface Latency {
  requests: number;
  non2xx: number;
  p50: number;
  p99: number;
  max: number;
}

/** Steady chat load until `until` resolves (or for `seconds`), at RATE messages a second. */
async function chatLoad(port: number, until: Promise<unknown> | number): Promise<Latency> {
  let i = 0;
  let finished: (err: Error | null, result: autocannon.Result) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finished = (err, result) => (err ? reject(err) : resolve(result));
  });
  const instance = autocannon(
    {
      url: `http://127.0.0.1:${port}`,
      connections: 10,
      overallRate: RATE,
      duration: typeof until === "number" ? until : 3600,
      timeout: 30,
      requests: [
        {
          method: "POST",
          path: "/api/v1/messages",
          headers: { "content-type": "application/json", authorization: `Bearer ${API_TOKEN}` },
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify({ channel: "api", userId: `chat-${i++ % 500}`, text: "居住证怎么续签" }),
          }),
        },
      ],
    },
    (err, result) => finished(err, result),
  );
  if (typeof until !== "number") void until.then(() => instance.stop());
  const result = await done;
  return {
    requests: result.requests.total,
    non2xx: result.non2xx,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
  };
}

/** Runs the import in its own process (as an operator does); resolves with its time in seconds. */
function importInChild(file: string, options: Record<string, unknown>): Promise<number> {
  const started = performance.now();
  const child = fork(join(root, "bench/lib/import-job.ts"), [file, JSON.stringify(options)], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) =>
    child.on("exit", (code) =>
      code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`import exited ${code}`)),
    ),
  );
}

const { child: service, ready } = await startChild<{ type: "ready"; port: number }>(join(root, "bench/lib/serve.ts"), { env });
try {
  console.error(
    `service ready on ${ready.port}; ${databaseUrl.startsWith("file:") ? "SQLite" : "PostgreSQL"}, ${ROWS} rows, ${RATE} msg/s`,
  );
  await chatLoad(ready.port, 3); // warm-up
  const rows: [string, Latency, number | null][] = [];
  rows.push(["chat alone", await chatLoad(ready.port, BASELINE_S), null]);
  for (const [label, options, offset] of [
    [
      "during an unpaced import (5,000 rows a transaction, no pause)",
      { batchSize: 5000, pace: false, targetTransactionMs: 1e9 },
      0,
    ],
    ["during the import as it runs now (npm run import:permits)", {}, ROWS],
  ] as const) {
    const file = join(dir, `permits-${offset}.csv`);
    writeCsv(file, offset);
    let seconds = 0;
    const done = importInChild(file, options).then((s) => {
      seconds = s;
    });
    const latency = await chatLoad(ready.port, done);
    await done;
    rows.push([label, latency, seconds]);
  }
  console.log(`\n| chat (${RATE} msg/s, 10 connections) | import time | messages | p50 | p99 | max | non-2xx |`);
  console.log("|---|---|---|---|---|---|---|");
  for (const [label, l, s] of rows) {
    console.log(
      `| ${label} | ${s === null ? "—" : `${s.toFixed(1)} s`} | ${l.requests} | ${l.p50} ms | ${l.p99} ms | ${l.max} ms | ${l.non2xx} |`,
    );
  }
} finally {
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
}
