// Child process: runs bulk jobs (the reminder scan, then enqueueing a broadcast) one after the other
// against a seeded database, reporting each job's time and peak resident memory. A process apart
// from the benchmark, so the peak is the service's and not the seeder's; one process for both jobs
// because starting the service costs seconds.
import { readFileSync, writeFileSync } from "node:fs";
import { buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createBroadcast } from "../../src/outbox/broadcasts.ts";
import { runReminderScan } from "../../src/reminders/scan.ts";

export type BulkJob = "scan" | "broadcast";
export interface BulkJobReport {
  type: "done";
  job: BulkJob;
  seconds: number;
  rssBeforeBytes: number;
  peakRssBytes: number;
  outcome: string;
  via: string;
}
/** Sent just before a job starts, so the parent's time limit covers the job and not the start-up. */
export interface BulkJobStarted {
  type: "started";
  job: BulkJob;
  rssBeforeBytes: number;
  via: string;
}

/** Resolves once the message is handed to the parent, so exiting right after cannot drop it. */
const send = (msg: BulkJobReport | BulkJobStarted | { type: "ready" } | { type: "error"; message: string }) =>
  new Promise<void>((resolve) => (process.send ? process.send(msg, () => resolve()) : resolve()));

/** Linux keeps the peak (VmHWM) per process and lets it be reset, so each job gets its own peak. */
function resetPeak(): void {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    // elsewhere the peak is the process's since start
  }
}

function peakRss(): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

async function main(): Promise<void> {
  const jobs = process.argv.slice(2) as BulkJob[];
  const config = loadConfig(process.env);
  // The whole service, jobs off: the functions under test get the same context they get in production.
  const { app, ctx } = await buildApp({ config, jobs: false });
  await app.ready();
  await send({ type: "ready" });
  for (const job of jobs) {
    const run = JOBS[job];
    global.gc?.();
    resetPeak();
    const rssBeforeBytes = process.memoryUsage().rss;
    await send({ type: "started", job, rssBeforeBytes, via: run.via });
    const t0 = performance.now();
    const outcome = await run.call(ctx);
    const seconds = (performance.now() - t0) / 1000;
    await send({
      type: "done",
      job,
      seconds,
      rssBeforeBytes,
      peakRssBytes: peakRss(),
      outcome: JSON.stringify(outcome),
      via: run.via,
    });
  }
  await app.close();
}

type Ctx = Awaited<ReturnType<typeof buildApp>>["ctx"];

/** Each job as production runs it. */
const JOBS: Record<BulkJob, { call: (ctx: Ctx) => Promise<unknown>; via: string }> = {
  scan: {
    call: (ctx) => runReminderScan({ reminders: ctx.store.reminders, timeZone: ctx.config.TZ }, ctx.clock.now()),
    via: "src/reminders/scan.ts#runReminderScan",
  },
  broadcast: {
    // To everyone who accepts notices; the dispatcher stays idle: queueing is what is measured here.
    call: (ctx) =>
      createBroadcast(
        { broadcasts: ctx.store.broadcasts, clock: ctx.clock, log: ctx.log, channels: ctx.channels, dispatcher: { kick() {} } },
        { text: "【通知】本周六社区服务中心延长开放至晚上八点，欢迎前来办理业务。", audience: {} },
        null,
      ),
    via: "src/outbox/broadcasts.ts#createBroadcast",
  },
};

main()
  .then(() => process.exit(0))
  .catch(async (err: unknown) => {
    await send({ type: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(1);
  });
