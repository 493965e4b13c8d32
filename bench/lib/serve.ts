// Child process for the load runs: the real service (buildApp) on loopback with a fresh database
// (SQLite or PostgreSQL, from DATABASE_URL), jobs off. It runs apart from the load generator so
// the two do not share one event loop. Talks to bench/run.ts over IPC: "ready" with the port,
// then answers "cpu", "memory", "sample" and "close".
import { readFileSync } from "node:fs";
import { buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";

const send = (msg: unknown) => process.send?.(msg);

const config = loadConfig(process.env);
const { app } = await buildApp({ config, jobs: false });
await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
const port = typeof address === "object" && address ? address.port : 0;

process.on("message", async (msg: { type: string }) => {
  if (msg.type === "cpu") {
    const { user, system } = process.cpuUsage();
    send({ type: "cpu", micros: user + system });
  } else if (msg.type === "memory") {
    const rss = process.memoryUsage().rss;
    // After a full collection: what the service really holds, as opposed to garbage V8 has not reclaimed yet.
    global.gc?.();
    const after = process.memoryUsage();
    send({
      type: "memory",
      rss,
      peakRss: process.resourceUsage().maxRSS * 1024,
      rssAfterGc: after.rss,
      heapUsedAfterGc: after.heapUsed,
    });
  } else if (msg.type === "sample") {
    // For the soak: memory as it is, no collection forced (that would flatten what is measured).
    send({ type: "sample", ...process.memoryUsage(), ...rssParts() });
  } else if (msg.type === "close") {
    await app.close();
    // A normal exit lets --cpu-prof write its profile.
    process.exit(0);
  }
});
// If the benchmark dies, do not linger.
process.on("disconnect", () => process.exit(0));
send({ type: "ready", port, rss: process.memoryUsage().rss });

/**
 * Linux's split of the resident set (/proc/self/status): anonymous memory (malloc'd native memory
 * and the JS heap), file-backed pages mapped in (code, mmapped files such as SQLite's WAL index)
 * and shared memory (tmpfs-backed mappings). Zeros elsewhere.
 */
function rssParts(): { rssAnon: number; rssFile: number; rssShmem: number } {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    return { rssAnon: kb("RssAnon"), rssFile: kb("RssFile"), rssShmem: kb("RssShmem") };
  } catch {
    return { rssAnon: 0, rssFile: 0, rssShmem: 0 };
  }
}
