import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { onPostgres } from "../helpers/database.ts";

const dir = mkdtempSync(join(tmpdir(), "yongju-server-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** PostgreSQL: a new, empty database (not cloned from the migrated template), dropped with the run's. */
async function emptyPostgresDatabase(): Promise<string> {
  const admin = inject("pgAdminUrl" as never) as string;
  const name = `${inject("pgRun" as never) as string}_srv_${randomBytes(4).toString("hex")}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

async function waitFor(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("timed out");
}

describe("the server process", () => {
  it("stops start-up with a message naming a bad variable", async () => {
    const proc = start({ PORT: "not-a-port", DATABASE_URL: `file:${join(dir, "bad.db")}` });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain("PORT");
  });

  it("creates and migrates its database, serves, and shuts down cleanly on SIGTERM", async () => {
    const port = 30000 + Math.floor(Math.random() * 20000);
    // SQLite: a file in directories that do not exist yet. PostgreSQL: an empty database (the
    // generated secrets then go to DATA_DIR, which does not exist yet either).
    const proc = start(
      onPostgres
        ? { PORT: String(port), DATABASE_URL: await emptyPostgresDatabase(), DATA_DIR: join(dir, "nested", "data") }
        : { PORT: String(port), DATABASE_URL: `file:${join(dir, "nested", "dir", "app.db")}` },
    );
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(await page.text()).toContain("甬居助手");
    const cookie = page.headers.getSetCookie()[0]!.split(";")[0]!;
    // An open event stream must not hold the shutdown up.
    const events = await fetch(`http://127.0.0.1:${port}/chat/events`, { headers: { cookie } });
    expect(events.status).toBe(200);
    proc.child.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain("shutting down");
  });
});
