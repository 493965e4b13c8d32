import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");

export interface StartupResult {
  seconds: number;
}

/** A free loopback port (there is a small window before the service takes it; fine on a bench machine). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

/**
 * Starts the service the way `npm start` does (`tsx src/server.ts`, jobs on) on a fresh database
 * and measures the time from spawn until GET /readyz answers 200. Gives up after `limitMs`.
 */
export async function measureStartup(limitMs = 30_000): Promise<StartupResult> {
  const dir = mkdtempSync(join(tmpdir(), "yongju-bench-start-"));
  const port = await freePort();
  const started = performance.now();
  const proc = spawn(process.execPath, [tsxCli, "src/server.ts"], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: `file:${join(dir, "app.db")}`,
      LOG_LEVEL: "warn",
      API_TOKEN: "bench-token-0123456789",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  proc.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((ok) => proc.once("exit", () => ok()));
  try {
    while (performance.now() - started < limitMs) {
      if (proc.exitCode !== null) throw new Error(`src/server.ts exited with code ${proc.exitCode}\n${stderr}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
        if (res.status === 200) return { seconds: (performance.now() - started) / 1000 };
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`src/server.ts was not ready within ${limitMs} ms\n${stderr}`);
  } finally {
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}
