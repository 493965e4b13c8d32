import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { type BuiltApp, buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import type { Logger } from "pino";
import type { TurnResult } from "../../src/domain/types.ts";
import { ManualClock } from "../../src/lib/clock.ts";
import { freshDatabaseUrl, type SqlProbe, sqlProbe } from "./database.ts";

export const API_TOKEN = "test-token-123456";
/** The first admin's password in tests (STAFF_ADMIN_PASSWORD): it must pass the staff password policy. */
export const ADMIN_PASSWORD = "harbour-lantern-73";

export interface TestApp extends BuiltApp {
  clock: ManualClock;
  /** Data directory (generated secrets; the SQLite file on the SQLite run). */
  dir: string;
  /** The database this app runs on: pass it to another app to share it (a restart, a second instance). */
  databaseUrl: string;
  /** Plain SQL against the same database, for assertions (see tests/helpers/database.ts). */
  sql: SqlProbe;
  /** Sends a resident message through the real HTTP route (in-process inject). */
  say(userId: string, text: string, messageId?: string): Promise<TurnResult>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Reuse this data directory (and its SQLite file): a restart of the same service. */
  dir?: string;
  /** Reuse this database (PostgreSQL, or a SQLite file elsewhere). */
  databaseUrl?: string;
  now?: string | number;
  /** Capture the service's logs (tests that check what is logged). */
  logger?: Logger;
  /** Sync the catalogue from this folder instead of knowledge/. */
  knowledgeDir?: string;
  /** The catalogue's revision check interval (default 2 s). */
  knowledgeCheckMs?: number;
}

/** A fresh service on its own database (SQLite file or PostgreSQL database), with a controllable clock. */
export async function createTestApp(env: Record<string, string> = {}, opts: TestAppOptions = {}): Promise<TestApp> {
  const dir = opts.dir ?? mkdtempSync(`${tmpdir()}/yongju-test-`);
  const databaseUrl = env.DATABASE_URL ?? opts.databaseUrl ?? (await freshDatabaseUrl(dir));
  const config = loadConfig({
    API_TOKEN,
    LOG_LEVEL: "silent",
    REMINDER_QUIET_HOURS: "",
    // A known first admin, so no one-time password is printed for every test app.
    STAFF_ADMIN_USERNAME: "admin",
    STAFF_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ...env,
    DATABASE_URL: databaseUrl,
    // Secrets live in the data directory; share them when the database is shared.
    DATA_DIR: env.DATA_DIR ?? dir,
  });
  const clock = new ManualClock(opts.now === undefined ? Date.now() : new Date(opts.now).getTime());
  const built = await buildApp({
    config,
    clock,
    jobs: false,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.knowledgeDir ? { knowledgeDir: opts.knowledgeDir } : {}),
    ...(opts.knowledgeCheckMs ? { knowledgeCheckMs: opts.knowledgeCheckMs } : {}),
  });
  await built.app.ready();
  const sql = sqlProbe(databaseUrl);
  return {
    ...built,
    clock,
    dir,
    databaseUrl,
    sql,
    async say(userId, text, messageId) {
      const res = await built.app.inject({
        method: "POST",
        url: "/api/v1/messages",
        headers: { authorization: `Bearer ${API_TOKEN}` },
        payload: { channel: "api", userId, text, ...(messageId ? { messageId } : {}) },
      });
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${res.body}`);
      return res.json() as TurnResult;
    },
    async close() {
      await sql.close();
      await built.app.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
