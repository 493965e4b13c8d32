// `npx tsx bench/retention.ts`: what the nightly retention job costs chat. A SQLite database is
// seeded with --conversations transcripts (default 20,000) of --messages messages each (20), all
// idle for 400 days, and --applications decided applications (5,000) decided 4 years ago; the
// service runs in its own process, and a steady chat load (--rate messages a second, default 200,
// 10 connections, 127.0.0.1 only) runs once alone and once while the service deletes all of it.
// Prints the job's time and counts and chat p50/p99/max for both runs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import { migrateSqlite } from "../src/data/migrate.ts";
import { startChild } from "./lib/child.ts";

const root = resolve(import.meta.dirname, "..");
const { values: argv } = parseArgs({
  options: {
    conversations: { type: "string" },
    messages: { type: "string" },
    applications: { type: "string" },
    rate: { type: "string" },
  },
});
const CONVERSATIONS = Number(argv.conversations ?? 20_000);
const MESSAGES = Number(argv.messages ?? 20);
const APPLICATIONS = Number(argv.applications ?? 5_000);
const RATE = Number(argv.rate ?? 200);
const API_TOKEN = "bench-token-0123456789";
const DAY = 86_400_000;

const dir = mkdtempSync(join(tmpdir(), "yongju-bench-retention-"));
const path = join(dir, "app.db");

function seed(): number {
  const started = performance.now();
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = OFF");
  migrateSqlite(db);
  const idle = Date.now() - 400 * DAY;
  const decided = Date.now() - 4 * 365 * DAY;
  const seq = `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < @count)`;
  db.transaction(() => {
    db.prepare(
      `${seq} INSERT INTO "Resident" (id, channel, channelUserId, createdAt, lastSeenAt)
       SELECT printf('r%08d', n), 'api', printf('old%08d', n), @at, @at FROM seq`,
    ).run({ count: CONVERSATIONS, at: idle });
    db.prepare(
      `${seq} INSERT INTO "Conversation" (id, residentId, status, state, version, createdAt, updatedAt, lastMessageAt)
       SELECT printf('c%08d', n), printf('r%08d', n), 'bot', '{}', 0, @at, @at, @at FROM seq`,
    ).run({ count: CONVERSATIONS, at: idle });
    db.prepare(
      `${seq} INSERT INTO "Message" (conversationId, residentId, direction, author, text, createdAt)
       SELECT printf('c%08d', (n - 1) / @per + 1), printf('r%08d', (n - 1) / @per + 1), 'in', 'resident', '居住证怎么续签', @at FROM seq`,
    ).run({ count: CONVERSATIONS * MESSAGES, per: MESSAGES, at: idle });
    db.prepare(
      `${seq} INSERT INTO "Application" (id, reference, type, status, residentId, data, name, phone, createdAt, updatedAt, decidedAt)
       SELECT printf('a%08d', n), printf('YJ20220101-%06d', n), 'address_report', 'approved', printf('r%08d', (n % @residents) + 1),
              '{}', '张三', '13812345678', @at, @at, @at FROM seq`,
    ).run({ count: APPLICATIONS, residents: CONVERSATIONS, at: decided });
  })();
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  return (performance.now() - started) / 1000;
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

const seeded = seed();
console.error(
  `seeded ${CONVERSATIONS} transcripts × ${MESSAGES} messages and ${APPLICATIONS} applications in ${seeded.toFixed(1)} s`,
);
const { child, ready } = await startChild<{ type: "ready"; port: number }>(join(root, "bench/lib/retention-serve.ts"), {
  env: {
    DATABASE_URL: `file:${path}`,
    DATA_DIR: dir,
    API_TOKEN,
    LOG_LEVEL: "silent",
    RATE_LIMIT_PER_MINUTE: "1000000",
    REMINDER_QUIET_HOURS: "",
    TZ: "Asia/Shanghai",
  },
});
try {
  await chatLoad(ready.port, 3); // warm-up
  const alone = await chatLoad(ready.port, 15);
  const job = child.ask<{ ms: number } & Record<string, number>>({ type: "retention" }, "retention", 30 * 60_000);
  const during = await chatLoad(ready.port, job);
  const result = await job;
  const fmt = (l: Latency) => `${l.requests} messages, ${l.non2xx} non-2xx, p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms`;
  console.log(
    `retention job: ${(result.ms / 1000).toFixed(1)} s, deleted ${JSON.stringify({ ...result, type: undefined, ms: undefined })}`,
  );
  console.log(`chat alone (${RATE} msg/s, 15 s): ${fmt(alone)}`);
  console.log(`chat while the job runs:        ${fmt(during)}`);
} finally {
  await child.stop();
  rmSync(dir, { recursive: true, force: true });
}
