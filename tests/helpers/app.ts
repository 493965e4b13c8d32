import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BuiltApp, buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import type { TurnResult } from "../../src/domain/types.ts";
import { ManualClock } from "../../src/lib/clock.ts";

export const API_TOKEN = "test-token-123456";

export interface TestApp extends BuiltApp {
  clock: ManualClock;
  dir: string;
  /** Sends a resident message through the real HTTP route (in-process inject). */
  say(userId: string, text: string, messageId?: string): Promise<TurnResult>;
  close(): Promise<void>;
}

/** A fresh service on its own SQLite file, with a controllable clock. */
export async function createTestApp(
  env: Record<string, string> = {},
  opts: { dir?: string; now?: string | number } = {},
): Promise<TestApp> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "yongju-test-"));
  const config = loadConfig({
    DATABASE_URL: `file:${join(dir, "app.db")}`,
    API_TOKEN,
    LOG_LEVEL: "silent",
    REMINDER_QUIET_HOURS: "",
    // A known first admin, so no one-time password is printed for every test app.
    STAFF_ADMIN_USERNAME: "admin",
    STAFF_ADMIN_PASSWORD: "admin-password-1",
    ...env,
  });
  const clock = new ManualClock(opts.now === undefined ? Date.now() : new Date(opts.now).getTime());
  const built = await buildApp({ config, clock, jobs: false });
  await built.app.ready();
  return {
    ...built,
    clock,
    dir,
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
      await built.app.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
