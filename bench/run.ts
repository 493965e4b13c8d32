// `npm run bench`: how fast and how far the service goes, in one table (also written to
// bench/results.md). `npm run bench -- --quick` runs the same steps small (mostly service
// start-ups) to keep the script working in CI. `--profile` also takes CPU profiles of the service
// under load and of the bulk jobs; `--only api,retrieval,bulk,startup` runs a part; `--db
// sqlite|postgres|both` picks the databases (default both: the message API on SQLite, and on
// PostgreSQL with one and with two instances; bulk jobs and start-up are measured on SQLite).
// `--soak` instead runs the service under a steady load for minutes and prints its memory over
// time (`--soak-rate`, `--soak-seconds`; written to bench/soak.md).
// Loads run only against 127.0.0.1; every loop is bounded in count and time.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { parse as parseYaml } from "yaml";
import type { TurnResult } from "../src/domain/types.ts";
import type { BulkJob, BulkJobReport, BulkJobStarted } from "./lib/bulk-job.ts";
import { type Child, startChild } from "./lib/child.ts";
import { FLOW_TRIGGERS, FlowDriver } from "./lib/flow-driver.ts";
import { type LoadResult, runLoad } from "./lib/load.ts";
import { type Counters, scrapeCounters } from "./lib/metrics.ts";
import { type BenchDatabase, createBenchDatabase, PG_ADMIN_URL, pgServerText, pgUnreachable, pgWhere } from "./lib/pg.ts";
import { busiestProfile, formatHotSpots, summariseProfile } from "./lib/profile.ts";
import { benchRetrieval } from "./lib/retrieval.ts";
import { seedBulk } from "./lib/seed.ts";
import { type MemorySample, type SoakResult, soakFigure, soakSeries } from "./lib/soak.ts";
import { measureStartup } from "./lib/startup.ts";
import { formatTable, type Row, ROWS, type RowKey, SOAK_ROWS } from "./lib/table.ts";

const root = resolve(import.meta.dirname, "..");
const lib = (file: string) => join(root, "bench/lib", file);

const { values: argv } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    out: { type: "string" },
    connections: { type: "string" },
    duration: { type: "string" },
    only: { type: "string" },
    rounds: { type: "string" },
    db: { type: "string", default: "both" },
    soak: { type: "boolean", default: false },
    "soak-rate": { type: "string" },
    "soak-seconds": { type: "string" },
  },
});

/** A positive number from the command line, or the default; anything else stops the run. */
function numberArg(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number, got "${value}"`);
    process.exit(2);
  }
  return n;
}

if (!["sqlite", "postgres", "both"].includes(argv.db)) {
  console.error(`--db must be sqlite, postgres or both, got "${argv.db}"`);
  process.exit(2);
}
const onSqlite = argv.db !== "postgres";
const onPostgres = argv.db !== "sqlite";

const quick = argv.quick;
const settings = {
  /** Seconds of measured load per scenario, after a warm-up. */
  duration: numberArg("duration", argv.duration, quick ? 1 : 5),
  rounds: Math.ceil(numberArg("rounds", argv.rounds, quick ? 1 : 3)),
  warmup: quick ? 0.3 : 2,
  /** Per instance: two instances get twice as many, half each. */
  connections: Math.ceil(numberArg("connections", argv.connections, 10)),
  residents: 1_000,
  bulk: quick ? 10_000 : 1_000_000,
  /** A bulk job still running after this many seconds is stopped and reported as such. */
  bulkLimitS: quick ? 30 : 60,
  retrievalPasses: quick ? 2 : 20,
  startups: quick ? 1 : 3,
  /** 1,000 residents at thousands of messages a second each send far more than the default 20 a minute. */
  rateLimit: 1_000_000,
  soakRate: numberArg("soak-rate", argv["soak-rate"], quick ? 100 : 200),
  soakSeconds: numberArg("soak-seconds", argv["soak-seconds"], quick ? 5 : 180),
};
/** A memory sample every 10 s (1 s in a quick or short soak). */
const soakIntervalS = Math.max(1, Math.min(10, Math.floor(settings.soakSeconds / 12)));
const API_TOKEN = "bench-token-0123456789";
// Instances sharing a database must share their keys (the service refuses to start otherwise).
const DATA_ENCRYPTION_KEY = randomBytes(32).toString("hex");
const SESSION_SECRET = randomBytes(32).toString("hex");
const CATALOGUE_QUESTION = "居住证怎么续签";
const SERVICE_TZ = "Asia/Shanghai";
// Results of a quick run are a smoke test, not figures: they go to a file only when asked.
const defaultOut = argv.soak ? "bench/soak.md" : "bench/results.md";
const outFile = argv.out ? resolve(argv.out) : quick ? null : join(root, defaultOut);

const rows = new Map<RowKey, Row>();
const notes: string[] = [];
let failed = false;
const ALL_ROWS: readonly { key: RowKey; measure: string }[] = [...ROWS, ...SOAK_ROWS];
const set = (key: RowKey, row: Omit<Row, "key" | "measure">) => {
  const def = ALL_ROWS.find((r) => r.key === key)!;
  rows.set(key, { key, measure: def.measure, ...row });
};
const fail = (keys: RowKey[], err: unknown) => {
  failed = true;
  const message = err instanceof Error ? err.message.split("\n")[0]! : String(err);
  for (const key of keys) set(key, { figure: `failed: ${message}`, target: "", met: false });
  console.error(err);
};
const t0 = performance.now();
const log = (line: string) => console.error(`· ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s  ${line}`);

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024)} MB`;
const ms = (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`;
// autocannon records latency in whole milliseconds.
const wholeMs = (v: number) => (v < 1 ? "< 1 ms" : `${fmt(v)} ms`);

const tmpDirs: string[] = [];
const freshDir = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `yongju-bench-${name}-`));
  tmpDirs.push(dir);
  return dir;
};
/** PostgreSQL databases this run created: dropped at the end, whatever happens. */
const pgDatabases: BenchDatabase[] = [];

/** Where a load's messages are stored, to check every answered one is there. */
type Store = { kind: "sqlite"; path: string } | { kind: "postgres"; db: BenchDatabase };

const databaseUrl = (s: Store) => (s.kind === "sqlite" ? `file:${s.path}` : s.db.url);

/** Environment for a service child: api channel on, nothing optional switched on. */
function serviceEnv(store: Store, dataDir: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl(store),
    DATA_DIR: dataDir,
    DATA_ENCRYPTION_KEY,
    SESSION_SECRET,
    API_TOKEN,
    LOG_LEVEL: "silent",
    RATE_LIMIT_PER_MINUTE: String(settings.rateLimit),
    REMINDER_QUIET_HOURS: "",
    OPENAI_API_KEY: "",
    OPENAI_BASE_URL: "",
    OPENAI_MODEL: "",
    WECHATY_PUPPET: "",
    API_WEBHOOK_URL: "",
    METRICS_TOKEN: "",
    TZ: SERVICE_TZ,
  };
}

const headers = { authorization: `Bearer ${API_TOKEN}` };
const userId = (prefix: string, i: number) => `${prefix}-${String(i % settings.residents).padStart(4, "0")}`;
const messageBody = (user: string, text: string) => JSON.stringify({ channel: "api", userId: user, text });

async function post(port: number, user: string, text: string): Promise<TurnResult> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/messages`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: messageBody(user, text),
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 200) throw new Error(`probe answered HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as TurnResult;
}

const INBOUND_SQL = `SELECT count(*) AS n FROM "Message" WHERE direction = 'in'`;

/** Resident messages stored, of residents whose id starts with `prefix` (all when unset). */
async function countInbound(store: Store, prefix?: string): Promise<number> {
  if (store.kind === "postgres") return store.db.countInbound(prefix);
  const db = new Database(store.path, { readonly: true, fileMustExist: true });
  try {
    const sql = prefix
      ? `${INBOUND_SQL} AND "residentId" IN (SELECT id FROM "Resident" WHERE "channelUserId" LIKE ?)`
      : INBOUND_SQL;
    return (db.prepare(sql).get(...(prefix ? [`${prefix}-%`] : [])) as { n: number }).n;
  } finally {
    db.close();
  }
}

/** CPU time the child has used so far, in microseconds (user + system). */
const cpuOf = async (child: Child) => (await child.ask<{ micros: number }>({ type: "cpu" }, "cpu")).micros;

interface Instance {
  port: number;
  child: Child;
}

type ServiceReady = { type: "ready"; port: number; rss: number };

/** Starts bench/lib/serve.ts (the real service, jobs off) on `store`, CPU-profiled into `profileDir` when asked. */
async function startService(store: Store, profileDir: string | null): Promise<{ instance: Instance; ready: ServiceReady }> {
  const { child, ready } = await startChild<ServiceReady>(lib("serve.ts"), {
    env: serviceEnv(store, freshDir("data")),
    execArgv: ["--expose-gc", ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [])],
  });
  return { instance: { port: ready.port, child }, ready };
}

/** A fresh profile directory for `name`, or null when not profiling. */
function profileDirFor(name: string): string | null {
  if (!argv.profile) return null;
  const dir = join(root, "bench/profiles", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

interface LoadSpec {
  /** One instance, or several sharing `store` (the load spread over them). */
  targets: Instance[];
  /** The service's database, to check every answered message was stored; null for bare Fastify. */
  store: Store | null;
  /** The prefix of this load's resident ids, when other loads store into the same database. */
  residents?: string;
  body: (i: number, ctx: Record<string, unknown>) => string;
  onResponse?: (status: number, body: string, ctx: Record<string, unknown>) => void;
}

interface Measured extends LoadResult {
  /** Throughput of each round. */
  rounds: number[];
  /** Server CPU time per answered request, µs, all instances together (the least of the rounds). */
  cpuMicrosPerRequest: number;
  /** PostgreSQL's CPU time for this database per answered request, µs (the least of the rounds); null if not measurable. */
  dbCpuMicrosPerRequest: number | null;
  /** Statements sent to the database per answered message over the measured rounds, from /metrics; null without it. */
  statementsPerTurn: number | null;
  /** Share of the answered messages each instance answered (from /metrics). */
  split: number[];
  /** Connections over all instances. */
  connections: number;
  total: { ok: number; non2xx: number; errors: number; stored: number };
}

/** Every instance's counters, or null when one of them has no /metrics. */
const allCounters = (cs: (Counters | null)[]): Counters[] | null => (cs.every((c) => c) ? (cs as Counters[]) : null);

/**
 * Warm-up, then `settings.rounds` measured rounds of each load, interleaved so every load sees
 * the same machine. Reports each load's best round (on a shared, noisy machine the best round is
 * the least disturbed) and checks every answered message was stored. Also the server's CPU time
 * per answered request: unlike throughput it depends little on what else the machine is doing,
 * and one second divided by it is what one core could serve. Around each round (outside the CPU
 * measurement) every instance's /metrics is scraped: statements sent ÷ messages answered is the
 * round trips per turn on PostgreSQL.
 */
async function measureInterleaved(specs: LoadSpec[]): Promise<Measured[]> {
  const base = (s: LoadSpec) => ({
    ports: s.targets.map((t) => t.port),
    connections: settings.connections * s.targets.length,
    headers,
    body: s.body,
    ...(s.onResponse ? { onResponse: s.onResponse } : {}),
  });
  // Warm-up: one message from every resident first (their first contact creates them, which
  // costs more than a turn and is not what the rows measure; skipped by --quick, a smoke test),
  // then `settings.warmup` seconds.
  for (const s of specs) {
    if (s.store && !quick) await runLoad({ ...base(s), amount: settings.residents, duration: 120 });
    await runLoad({ ...base(s), duration: settings.warmup });
  }
  const state = await Promise.all(
    specs.map(async (s) => ({
      before: s.store ? await countInbound(s.store, s.residents) : 0,
      rounds: [] as LoadResult[],
      cpu: [] as number[],
      dbCpu: [] as number[],
      statements: s.targets.map(() => 0),
      answered: s.targets.map(() => 0),
      metrics: Boolean(s.store),
      stored: 0,
    })),
  );
  for (let r = 0; r < settings.rounds; r++) {
    for (const [i, s] of specs.entries()) {
      const st = state[i]!;
      const scrape = () => Promise.all(s.targets.map((t) => scrapeCounters(t.port)));
      const before = st.metrics ? allCounters(await scrape()) : null;
      const cpu0 = await Promise.all(s.targets.map((t) => cpuOf(t.child)));
      const db0 = s.store?.kind === "postgres" ? await s.store.db.backendCpu() : null;
      const result = await runLoad({ ...base(s), duration: settings.duration });
      const db1 = s.store?.kind === "postgres" ? await s.store.db.backendCpu() : null;
      const cpu1 = await Promise.all(s.targets.map((t) => cpuOf(t.child)));
      const after = st.metrics ? allCounters(await scrape()) : null;
      const cpu = cpu1.reduce((n, c, k) => n + c - cpu0[k]!, 0);
      st.cpu.push(result.ok ? cpu / result.ok : Number.NaN);
      if (db0 !== null && db1 !== null && result.ok) st.dbCpu.push((db1 - db0) / result.ok);
      if (before && after) {
        for (const [k, a] of after.entries()) {
          st.statements[k]! += a.statements - before[k]!.statements;
          st.answered[k]! += a.answered - before[k]!.answered;
        }
      } else st.metrics = false;
      st.rounds.push(result);
      if (s.store) st.stored = (await countInbound(s.store, s.residents)) - st.before;
    }
  }
  return state.map((st, i) => {
    const best = st.rounds.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
    const sum = (f: (r: LoadResult) => number) => st.rounds.reduce((n, r) => n + f(r), 0);
    const answered = st.answered.reduce((a, b) => a + b, 0);
    const statements = st.statements.reduce((a, b) => a + b, 0);
    return {
      ...best,
      rounds: st.rounds.map((r) => r.perSecond),
      cpuMicrosPerRequest: Math.min(...st.cpu),
      dbCpuMicrosPerRequest: st.dbCpu.length ? Math.min(...st.dbCpu) : null,
      statementsPerTurn: st.metrics && answered > 0 ? statements / answered : null,
      split: st.metrics && answered > 0 ? st.answered.map((a) => a / answered) : [],
      connections: base(specs[i]!).connections,
      total: { ok: sum((r) => r.ok), non2xx: sum((r) => r.non2xx), errors: sum((r) => r.errors + r.timeouts), stored: st.stored },
    };
  });
}

const cpuText = (m: Measured) => `server CPU ${fmt(m.cpuMicrosPerRequest)} µs/request`;
const statementsText = (m: Measured, what: string) =>
  m.statementsPerTurn === null ? "" : ` · ${fmt(m.statementsPerTurn, 1)} ${what} per turn`;

const latency = (r: LoadResult) => `p50 ${wholeMs(r.p50)} · p99 ${wholeMs(r.p99)}`;

/**
 * Every answered message is in the database. A few more may be: requests in flight when a load
 * stops are stored but their answers are not counted (at most one per connection, per load).
 */
const allStored = (m: Measured) =>
  m.total.stored >= m.total.ok && m.total.stored - m.total.ok <= m.connections * (settings.rounds + 1);
const storedText = (r: { stored: number; ok: number }) =>
  `${fmt(r.ok)} answered, ${fmt(r.stored)} stored${r.stored > r.ok ? ` (${r.stored - r.ok} still in flight when a load stopped)` : ""}`;
const clean = (m: Measured) => allStored(m) && m.total.non2xx === 0 && m.total.errors === 0;

const roundsText = (m: Measured) => (m.rounds.length > 1 ? ` (best of ${m.rounds.map((r) => fmt(r)).join(", ")})` : "");

/** The first of FLOW_TRIGGERS the service answers with a step to fill in. */
async function findFlowTrigger(port: number, prefix: string): Promise<string> {
  for (const [i, text] of FLOW_TRIGGERS.entries()) {
    const r = await post(port, `${prefix}-${i}`, text);
    if (r.awaiting) return text;
  }
  throw new Error(`no guided flow answered ${FLOW_TRIGGERS.join(", ")} with a step`);
}

/** Make sure the load measures what the row says: a catalogue answer with its citation. */
async function probeCatalogue(port: number, user: string): Promise<void> {
  const probe = await post(port, user, CATALOGUE_QUESTION);
  if (!probe.replies.some((r) => r.sources?.length)) {
    throw new Error(`“${CATALOGUE_QUESTION}” was not answered from the catalogue (intent ${probe.replies[0]?.intent})`);
  }
}

/** A load of guided-flow turns: each resident answers the step the previous reply asked for. */
function flowLoad(targets: Instance[], store: Store, driver: FlowDriver, prefix: string): LoadSpec {
  return {
    targets,
    store,
    residents: prefix,
    body: (i, ctx) => {
      const user = userId(prefix, i);
      ctx.user = user;
      return messageBody(user, driver.next(user));
    },
    onResponse: (status, body, ctx) => driver.record(ctx.user as string, status, body),
  };
}

/**
 * The message API on SQLite (catalogue answers, then guided-flow turns) and a bare Fastify
 * hello-world, each in its own process apart from the load generator, measured in alternating
 * rounds so both see the same machine.
 */
async function benchSqliteApi(): Promise<void> {
  const store: Store = { kind: "sqlite", path: join(freshDir("api"), "app.db") };
  const profileDir = profileDirFor("service");
  let server: Instance | null = null;
  let bare: Child | null = null;
  try {
    const started = await startService(store, profileDir);
    server = started.instance;
    const port = server.port;
    const bareStarted = await startChild<{ type: "ready"; port: number }>(lib("bare.ts"));
    bare = bareStarted.child;
    const barePort = bareStarted.ready.port;

    // 1 and 3. Catalogue answers for 1,000 distinct residents, alternating with bare Fastify.
    await probeCatalogue(port, "probe-catalogue");
    log(`SQLite: message API, “${CATALOGUE_QUESTION}” (catalogue answer) and bare Fastify`);
    const [c, b] = (await measureInterleaved([
      { targets: [server], store, body: (i) => messageBody(userId("cat", i), CATALOGUE_QUESTION) },
      {
        targets: [{ port: barePort, child: bare }],
        store: null,
        body: (i) => messageBody(userId("bare", i), CATALOGUE_QUESTION),
      },
    ])) as [Measured, Measured];
    set("catalogue", {
      figure: `${fmt(c.perSecond)} msg/s${roundsText(c)} · ${latency(c)} · ${cpuText(c)}${statementsText(c, "statements")}`,
      target: "≥ 3,000/s, p99 < 50 ms",
      met: c.perSecond >= 3000 && c.p99 < 50,
    });
    set("persisted", {
      figure: `${storedText(c.total)} · ${fmt(c.total.non2xx)} non-2xx · ${c.total.errors} errors`,
      target: "all stored, 0 non-2xx",
      met: clean(c),
    });
    set("bare", { figure: `${fmt(b.perSecond)} req/s${roundsText(b)} · ${latency(b)} · ${cpuText(b)}`, target: "", met: null });
    const ratio = b.perSecond > 0 ? c.perSecond / b.perSecond : 0;
    set("ratio", { figure: `${fmt(ratio * 100, 1)}%`, target: "≥ 20%", met: ratio >= 0.2 });
    await bare.stop();
    bare = null;

    // 2. A guided-flow turn: each resident answers the step the previous reply asked for.
    const trigger = await findFlowTrigger(port, "probe-flow");
    const driver = new FlowDriver(trigger);
    log(`SQLite: message API, guided-flow turns (started by “${trigger}”)`);
    const [f] = (await measureInterleaved([flowLoad([server], store, driver, "flow")])) as [Measured];
    set("flow", {
      figure: `${fmt(f.perSecond)} msg/s${roundsText(f)} · ${latency(f)} · ${cpuText(f)}${statementsText(f, "statements")} · ${storedText(f.total)} · ${fmt(f.total.non2xx)} non-2xx`,
      target: "≥ 3,000/s, p99 < 50 ms",
      met: f.perSecond >= 3000 && f.p99 < 50 && clean(f),
    });
    notes.push(`Guided-flow turns on SQLite: ${driver.describe()}.`);

    const mem = await server.child.ask<{ rss: number; peakRss: number; rssAfterGc: number; heapUsedAfterGc: number }>(
      { type: "memory" },
      "memory",
    );
    set("rss", {
      figure:
        `${mb(mem.rss)} (peak ${mb(mem.peakRss)}; ${mb(started.ready.rss)} when ready, before any load) · ` +
        `after a full GC ${mb(mem.rssAfterGc)}, of which JS heap ${mb(mem.heapUsedAfterGc)}`,
      target: "",
      met: null,
    });
  } catch (err) {
    fail(
      (["catalogue", "persisted", "flow", "bare", "ratio", "rss"] as const).filter((k) => !rows.has(k)),
      err,
    );
  } finally {
    await bare?.stop();
    await server?.child.stop();
  }
  if (profileDir) reportProfile(profileDir, "the service on SQLite under load");
}

/** Creates a database on the benchmark's PostgreSQL server, dropped when the run ends. */
async function pgStore(): Promise<Store> {
  const db = await createBenchDatabase();
  pgDatabases.push(db);
  return { kind: "postgres", db };
}

/** Starts several service instances at once; if one fails, the others are stopped too. */
async function startInstances(specs: { store: Store; profileDir: string | null }[]): Promise<Instance[]> {
  const started = await Promise.allSettled(specs.map((s) => startService(s.store, s.profileDir)));
  const ok = started.flatMap((s) => (s.status === "fulfilled" ? [s.value.instance] : []));
  const failure = started.find((s) => s.status === "rejected");
  if (failure) {
    await Promise.all(ok.map((i) => i.child.stop()));
    throw failure.reason;
  }
  return ok;
}

/**
 * The message API on PostgreSQL: one instance on a fresh database, and two instances sharing
 * another fresh database, measured in alternating rounds (1 instance, 2 instances, …). Each
 * instance gets `settings.connections` connections; with two, one request sequence feeds both,
 * so each resident's messages land on either instance (a round-robin balancer, no stickiness).
 */
async function benchPostgresApi(): Promise<void> {
  const keys = ["pg1Catalogue", "pg1Flow", "pg2Catalogue", "pg2Flow"] as const;
  const where = pgWhere(PG_ADMIN_URL);
  const unreachable = await pgUnreachable();
  if (unreachable) {
    for (const key of keys)
      set(key, { figure: `not measured: PostgreSQL unreachable at ${where} (${unreachable})`, target: "", met: null });
    return;
  }
  const profileDir = profileDirFor("service-postgres");
  let instances: Instance[] = [];
  try {
    notes.push(`${await pgServerText()}; a fresh database for the run, dropped at the end.`);
    const store = await pgStore();
    log(`PostgreSQL at ${where}: starting two instances on ${databaseName(store)}`);
    instances = await startInstances([
      { store, profileDir },
      { store, profileDir },
    ]);
    const [a, b] = instances as [Instance, Instance];
    for (const [k, inst] of instances.entries()) await probeCatalogue(inst.port, `probe-catalogue-${k}`);

    // One instance loaded while the other idles (jobs off: it sends nothing), then both: one
    // database, so the two setups see the same tables; their residents differ by prefix.
    log(`PostgreSQL: message API, “${CATALOGUE_QUESTION}”, 1 instance and 2 instances`);
    const [c1, c2] = (await measureInterleaved([
      { targets: [a], store, residents: "cat1", body: (i) => messageBody(userId("cat1", i), CATALOGUE_QUESTION) },
      { targets: [a, b], store, residents: "cat2", body: (i) => messageBody(userId("cat2", i), CATALOGUE_QUESTION) },
    ])) as [Measured, Measured];
    set("pg1Catalogue", pgRow(c1));
    set("pg2Catalogue", pgRow(c2));

    const trigger = await findFlowTrigger(a.port, "probe-flow");
    const d1 = new FlowDriver(trigger);
    const d2 = new FlowDriver(trigger);
    log(`PostgreSQL: message API, guided-flow turns (started by “${trigger}”), 1 instance and 2 instances`);
    const [f1, f2] = (await measureInterleaved([flowLoad([a], store, d1, "flow1"), flowLoad([a, b], store, d2, "flow2")])) as [
      Measured,
      Measured,
    ];
    set("pg1Flow", pgRow(f1));
    set("pg2Flow", pgRow(f2));
    notes.push(`Guided-flow turns on PostgreSQL, 1 instance: ${d1.describe()}; 2 instances: ${d2.describe()}.`);
    const split = (m: Measured) => m.split.map((s) => `${fmt(s * 100)}%`).join(" / ");
    notes.push(
      `PostgreSQL: two instances on one database, loaded one at a time (the other idle) and both together, in alternating rounds; ` +
        `${settings.connections} connections to each loaded instance; with two, one request sequence feeds both, so each resident's ` +
        `messages land on either instance (no stickiness); answered per instance: catalogue ${split(c2)}, flow ${split(f2)}. ` +
        'Round trips per turn = Δ yongju_db_statements_total ÷ Δ yongju_turns_total{result="answered"} over the measured rounds, ' +
        "summed over the loaded instances (BEGIN and COMMIT included; a scrape adds 2–3 statements, left in). " +
        "PostgreSQL CPU: user + system time of the database's server processes (/proc), per answered message.",
    );
  } catch (err) {
    fail(
      keys.filter((k) => !rows.has(k)),
      err,
    );
  } finally {
    await Promise.all(instances.map((i) => i.child.stop()));
  }
  if (profileDir) reportProfile(profileDir, "a service instance on PostgreSQL under load");
}

/**
 * The database's size: SQLite's page count × page size (what its page cache could hold, WAL
 * frames not yet checkpointed included), or pg_database_size.
 */
async function databaseBytes(store: Store): Promise<number> {
  if (store.kind === "postgres") return store.db.size();
  const db = new Database(store.path, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma("page_count", { simple: true }) as number) * (db.pragma("page_size", { simple: true }) as number);
  } finally {
    db.close();
  }
}

const databaseName = (s: Store) => (s.kind === "postgres" ? s.db.name : s.path);

/** A PostgreSQL row: throughput, latency, CPU on both sides, round trips, and whether all was stored. */
function pgRow(m: Measured): Omit<Row, "key" | "measure"> {
  const dbCpu = m.dbCpuMicrosPerRequest === null ? "" : ` · PostgreSQL CPU ${fmt(m.dbCpuMicrosPerRequest)} µs/request`;
  return {
    figure:
      `${fmt(m.perSecond)} msg/s${roundsText(m)} · ${latency(m)} · ${cpuText(m)}${dbCpu}${statementsText(m, "round trips")} · ` +
      `${storedText(m.total)} · ${fmt(m.total.non2xx)} non-2xx · ${m.total.errors} errors`,
    target: "all stored, 0 non-2xx",
    met: clean(m),
  };
}

function reportProfile(dir: string, what: string): void {
  if (!existsSync(dir)) return;
  const busiest = busiestProfile(
    readdirSync(dir)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => join(dir, f)),
  );
  if (!busiest) return;
  console.error(`\nCPU profile of ${what}: ${busiest}\n${formatHotSpots(summariseProfile(busiest))}\n`);
}

async function benchRetrievalRow(): Promise<void> {
  try {
    log("in-process retrieval over tests/eval/dev-set.yml");
    const r = await benchRetrieval(settings.retrievalPasses);
    set("retrieval", {
      figure: `median ${ms(r.medianMs)} · p99 ${ms(r.p99Ms)} (${r.questions} questions × ${settings.retrievalPasses})`,
      target: "median < 1 ms",
      met: r.medianMs < 1,
    });
  } catch (err) {
    fail(["retrieval"], err);
  }
}

type BulkOutcome =
  | BulkJobReport
  | { type: "stopped"; job: BulkJob; seconds: number; peakRssBytes: number | null; rssBeforeBytes: number };

/**
 * Runs the bulk jobs in a service process of their own and reports each one's time and peak
 * memory. A job still running after `settings.bulkLimitS` is stopped, so the benchmark always
 * finishes (its row says how far it got); the jobs after it get a fresh process.
 */
async function runBulkJobs(jobs: BulkJob[], store: Store): Promise<Map<BulkJob, BulkOutcome>> {
  const results = new Map<BulkJob, BulkOutcome>();
  const profileDir = profileDirFor("bulk");
  while (results.size < jobs.length) {
    const todo = jobs.filter((j) => !results.has(j));
    const { child } = await startChild<{ type: "ready" }>(lib("bulk-job.ts"), {
      args: todo,
      env: serviceEnv(store, freshDir("data")),
      execArgv: ["--expose-gc", ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [])],
    });
    try {
      for (const job of todo) {
        const first = await child.wait<BulkJobStarted>(["started"], 60_000);
        const started = performance.now();
        try {
          results.set(job, await child.wait<BulkJobReport>(["done"], settings.bulkLimitS * 1000));
        } catch (err) {
          if (child.process.exitCode !== null) throw err;
          // Over the limit: note the peak so far (Linux), then stop it.
          const peakRssBytes = peakRssOf(child.process.pid);
          child.process.kill("SIGKILL");
          const seconds = (performance.now() - started) / 1000;
          results.set(job, { type: "stopped", job, seconds, peakRssBytes, rssBeforeBytes: first.rssBeforeBytes });
          break;
        }
      }
    } finally {
      await child.stop(30_000);
    }
  }
  if (profileDir) reportProfile(profileDir, "the bulk jobs");
  return results;
}

/** The peak resident memory of a running process, from /proc (null where there is none). */
function peakRssOf(pid: number | undefined): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}

/** How much of a stopped job got done, counted in its database. */
function progressOf(job: BulkJob, dbPath: string): number {
  const db = new Database(dbPath, { fileMustExist: true });
  try {
    const kind = job === "scan" ? "reminder" : "broadcast";
    return (db.prepare(`SELECT count(*) AS n FROM "Delivery" WHERE kind = ?`).get(kind) as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The reminder scan and a broadcast over a seeded SQLite database (bench/lib/seed.ts writes SQLite only). */
async function benchBulk(): Promise<void> {
  const n = settings.bulk;
  const dbPath = join(freshDir("bulk"), "app.db");
  try {
    // Due dates relative to the service's own calendar day (TZ below), as the scan sees it.
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: SERVICE_TZ }).format(new Date());
    log(`seeding ${fmt(n)} residents and ${fmt(n)} permits`);
    const seeded = seedBulk(dbPath, n, n, today, Date.now());
    notes.push(`Seeded ${fmt(n)} residents (with conversations) and ${fmt(n)} permits in ${seeded.seconds.toFixed(1)} s.`);
  } catch (err) {
    fail(["scan", "broadcast"], err);
    return;
  }
  const scale = `${fmt(n)} ${quick ? "(quick)" : ""}`.trim();
  log(`reminder scan over ${fmt(n)} permits, then a broadcast to ${fmt(n)} residents`);
  let results: Map<BulkJob, BulkOutcome>;
  try {
    results = await runBulkJobs(["scan", "broadcast"], { kind: "sqlite", path: dbPath });
  } catch (err) {
    fail(["scan", "broadcast"], err);
    return;
  }
  for (const [job, unit, target] of [
    ["scan", "permits", "< 10 s, < 500 MB"],
    ["broadcast", "residents", ""],
  ] as const) {
    const r = results.get(job)!;
    const measure = ROWS.find((x) => x.key === job)!.measure;
    const shownTarget = quick && target ? `${target} (full run)` : target;
    if (r.type === "stopped") {
      const done = progressOf(job, dbPath);
      const peak = r.peakRssBytes === null ? "peak RSS unknown" : `peak RSS so far ${mb(r.peakRssBytes)}`;
      set(job, {
        figure: `${scale} ${unit}: stopped after ${settings.bulkLimitS} s, ${fmt(done)} ${job === "scan" ? "reminders" : "deliveries"} queued by then (${fmt(done / r.seconds)}/s) · ${peak}`,
        target: shownTarget,
        met: job === "scan" && !quick ? false : null,
      });
      continue;
    }
    const met = job === "scan" && !quick ? r.seconds < 10 && r.peakRssBytes < 500 * 1024 * 1024 : null;
    set(job, {
      figure: `${scale} ${unit}: ${r.seconds.toFixed(2)} s · peak RSS ${mb(r.peakRssBytes)} (service before: ${mb(r.rssBeforeBytes)}) · ${outcomeText(r.outcome)}`,
      target: shownTarget,
      met,
    });
    notes.push(`${measure} ran ${r.via} on SQLite.`);
  }
}

/** "1,515 reminders queued" from what the job returned. */
function outcomeText(json: string): string {
  const o = JSON.parse(json) as { queued?: number; examined?: number; recipients?: number };
  if (typeof o.queued === "number") return `${fmt(o.queued)} reminders queued of ${fmt(o.examined ?? 0)} permits examined`;
  if (typeof o.recipients === "number") return `${fmt(o.recipients)} deliveries queued`;
  return json;
}

async function benchStartup(): Promise<void> {
  try {
    log(`start-up to a ready /readyz (${settings.startups}×)`);
    const times: number[] = [];
    for (let i = 0; i < settings.startups; i++) times.push((await measureStartup()).seconds);
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    set("startup", {
      figure: `${median.toFixed(2)} s${times.length > 1 ? ` (median of ${times.length}: ${times.map((t) => t.toFixed(2)).join(", ")})` : ""}`,
      target: "< 3 s",
      met: median < 3,
    });
  } catch (err) {
    fail(["startup"], err);
  }
}

/** Catalogue questions for the soak: the held-out evaluation questions, so many answer paths run. */
function soakQuestions(): string[] {
  const doc = parseYaml(readFileSync(join(root, "tests/eval/dev-set.yml"), "utf8")) as { questions: { q: string }[] };
  return doc.questions.map((q) => q.q);
}

/**
 * `--soak`: one service instance on a fresh database under a steady `soakRate` messages a second
 * for `soakSeconds` (1,000 residents: the even ones ask the evaluation questions in turn, the
 * odd ones walk through a guided flow), its memory sampled every `soakIntervalS` seconds without
 * forcing a collection, then once after a full GC. Growth is the slope of a least-squares line
 * through the second half of the samples, after start-up effects (JIT, caches filling) settle.
 */
async function soak(key: "soakSqlite" | "soakPostgres", store: Store, label: string): Promise<string | null> {
  let instance: Instance | null = null;
  try {
    instance = (await startService(store, null)).instance;
    const { port, child } = instance;
    const questions = soakQuestions();
    const trigger = await findFlowTrigger(port, "probe-flow");
    const driver = new FlowDriver(trigger);
    let answered = 0;
    const samples: MemorySample[] = [];
    const started = performance.now();
    const sample = async () => {
      const s = await child.ask<Omit<MemorySample, "t" | "answered" | "dbBytes">>({ type: "sample" }, "sample");
      const t = (performance.now() - started) / 1000;
      samples.push({ ...s, t, answered, dbBytes: await databaseBytes(store) });
    };
    log(`soak on ${label}: ${fmt(settings.soakRate)} msg/s for ${fmt(settings.soakSeconds)} s, memory every ${soakIntervalS} s`);
    await sample();
    let sampling: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      sampling = sampling.then(sample);
    }, soakIntervalS * 1000);
    let load: LoadResult;
    try {
      load = await runLoad({
        ports: [port],
        connections: settings.connections,
        overallRate: settings.soakRate,
        duration: settings.soakSeconds,
        headers,
        body: (i, ctx) => {
          const n = i % settings.residents;
          const user = userId("soak", n);
          if (n % 2 === 0) {
            // Each pass over the residents shifts the questions by one: every question keeps coming back.
            ctx.user = undefined;
            return messageBody(user, questions[(n / 2 + Math.floor(i / settings.residents)) % questions.length]!);
          }
          ctx.user = user;
          return messageBody(user, driver.next(user));
        },
        onResponse: (status, body, ctx) => {
          if (status >= 200 && status < 300) answered++;
          if (ctx.user) driver.record(ctx.user as string, status, body);
        },
      });
    } finally {
      clearInterval(timer);
      await sampling;
    }
    await sample();
    const gc = await child.ask<{ rssAfterGc: number; heapUsedAfterGc: number }>({ type: "memory" }, "memory");
    const result: SoakResult = {
      label,
      rate: settings.soakRate,
      seconds: settings.soakSeconds,
      load,
      samples,
      rssAfterGc: gc.rssAfterGc,
      heapUsedAfterGc: gc.heapUsedAfterGc,
    };
    const figure = soakFigure(result);
    set(key, {
      figure: figure.text,
      target: "flat: RSS grows < 0.05 MB/s over the second half",
      met: quick ? null : figure.rssSlopeMBps < 0.05 && load.non2xx === 0,
    });
    notes.push(
      `Soak on ${label}: half the residents ask the evaluation questions in turn, the others walk through a guided flow (${driver.describe()}).`,
    );
    return soakSeries(result);
  } catch (err) {
    fail([key], err);
    return null;
  } finally {
    await instance?.child.stop();
  }
}

async function runSoaks(): Promise<string[]> {
  const sections: string[] = [];
  if (onSqlite) {
    const s = await soak("soakSqlite", { kind: "sqlite", path: join(freshDir("soak"), "app.db") }, "SQLite");
    if (s) sections.push(s);
  }
  if (onPostgres) {
    const unreachable = await pgUnreachable();
    if (unreachable) {
      set("soakPostgres", {
        figure: `not measured: PostgreSQL unreachable at ${pgWhere(PG_ADMIN_URL)} (${unreachable})`,
        target: "",
        met: null,
      });
    } else {
      try {
        const store = await pgStore();
        const s = await soak("soakPostgres", store, `PostgreSQL (${databaseName(store)})`);
        if (s) sections.push(s);
      } catch (err) {
        fail(["soakPostgres"], err);
      }
    }
  }
  return sections;
}

function machine(): string {
  const cpu = cpus();
  return `${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), ${fmt(totalmem() / 1024 ** 3, 1)} GiB memory, Node ${process.version}, ${process.platform}/${process.arch}`;
}

async function main(): Promise<void> {
  const started = performance.now();
  console.error(`甬居助手 benchmark (${quick ? "quick" : "full"}${argv.soak ? ", soak" : ""}) on ${machine()}`);
  // `--only api,retrieval,bulk,startup` runs a subset (for profiling one part).
  const only = argv.only ? new Set(argv.only.split(",").map((s) => s.trim())) : null;
  const want = (part: string) => !only || only.has(part);
  const sections: string[] = [];
  if (argv.soak) sections.push(...(await runSoaks()));
  else {
    if (want("api") && onSqlite) await benchSqliteApi();
    if (want("api") && onPostgres) await benchPostgresApi();
    if (want("retrieval")) await benchRetrievalRow();
    // Both seed and measure a SQLite file.
    if (want("bulk") && onSqlite) await benchBulk();
    if (want("startup") && onSqlite) await benchStartup();
  }

  const when = new Date();
  const shown = (argv.soak ? SOAK_ROWS : ROWS) as readonly { key: RowKey; measure: string }[];
  const table = formatTable(shown.map((r) => rows.get(r.key) ?? { ...r, figure: "not measured", target: "", met: null }));
  const settingsLine = argv.soak
    ? `${fmt(settings.soakRate)} messages a second (autocannon's overall rate over ${settings.connections} connections) for ${fmt(settings.soakSeconds)} s, ` +
      `${fmt(settings.residents)} distinct residents, memory sampled every ${soakIntervalS} s, --db ${argv.db}`
    : `${settings.connections} connections per instance, ${settings.rounds > 1 ? `best of ${settings.rounds} rounds of ` : ""}${settings.duration} s per load after a ${settings.warmup} s warm-up, ` +
      `${fmt(settings.residents)} distinct residents, RATE_LIMIT_PER_MINUTE=${fmt(settings.rateLimit)} (the default 20 would turn the load into 429s), ` +
      `bulk jobs over ${fmt(settings.bulk)} rows, --db ${argv.db}`;
  const args = process.argv.slice(2).filter((a, i, all) => a !== "--out" && all[i - 1] !== "--out");
  const report = [
    `# ${argv.soak ? "Soak" : "Benchmark"} results${quick ? " (quick mode: a smoke test, not figures)" : ""}`,
    "",
    `- Date: ${when.toISOString().replace("T", " ").slice(0, 16)} UTC`,
    `- Machine: ${machine()}`,
    `- Settings: ${settingsLine}`,
    `- Command: \`npm run bench${args.length ? ` -- ${args.join(" ")}` : ""}\` (took ${((performance.now() - started) / 1000).toFixed(0)} s)`,
    "",
    table,
    "",
    ...sections.flatMap((s) => [s, ""]),
    ...(notes.length ? ["Notes:", "", ...notes.map((n) => `- ${n}`), ""] : []),
    "What limits each figure: see the Performance section of the README.",
    "",
  ].join("\n");
  console.log(`\n${report}`);
  if (outFile) {
    writeFileSync(outFile, report);
    console.error(`written to ${outFile}`);
  }
}

// Ctrl-C: the service children exit with the IPC channel; the PostgreSQL databases need dropping.
process.once("SIGINT", () => {
  failed = true;
  void Promise.allSettled(pgDatabases.map((db) => db.drop())).then(() => {
    for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
});

main()
  .catch((err) => {
    failed = true;
    console.error(err);
  })
  .finally(async () => {
    for (const db of pgDatabases) {
      await db.drop().catch((err: unknown) => {
        failed = true;
        console.error(`could not drop the benchmark database ${db.name}:`, err);
      });
    }
    for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
    process.exit(failed ? 1 : 0);
  });
