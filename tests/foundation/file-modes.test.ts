/**
 * Everything the service writes to disk that holds personal data or keys is readable by the
 * service's user only, whatever the umask: the SQLite file with its WAL and shared-memory files,
 * the generated secrets, the data directory, and backups.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backup } from "../../scripts/db-backup.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { onPostgres } from "../helpers/database.ts";
import { startWechat } from "../wechaty-harness.ts";

const mode = (path: string) => statSync(path).mode & 0o777;

describe("file modes", () => {
  const base = mkdtempSync(join(tmpdir(), "yongju-modes-"));
  const dataDir = join(base, "not-yet", "data");
  let t: TestApp;
  let umask: number;

  beforeAll(async () => {
    // The most permissive umask: every mode below is the service's own doing.
    umask = process.umask(0);
    t = await createTestApp(
      { DATA_DIR: dataDir },
      { dir: dataDir, ...(onPostgres ? {} : { databaseUrl: `file:${join(base, "db-dir", "app.db")}` }) },
    );
    // A few turns, so the WAL has content and the shared-memory file exists.
    for (let i = 0; i < 3; i++) await t.say("modes-resident", "居住证怎么续签");
  });
  afterAll(async () => {
    process.umask(umask);
    await t?.close();
    rmSync(base, { recursive: true, force: true });
  });

  it("keeps the generated secrets and the data directory private", () => {
    expect(mode(join(dataDir, "secrets.json"))).toBe(0o600);
    expect(mode(dataDir)).toBe(0o700);
  });

  it.skipIf(onPostgres)("keeps the SQLite database, its WAL and shared-memory files private", () => {
    const db = join(base, "db-dir", "app.db");
    expect(mode(join(base, "db-dir"))).toBe(0o700);
    for (const file of [db, `${db}-wal`, `${db}-shm`]) {
      expect(existsSync(file), file).toBe(true);
      expect(mode(file), file).toBe(0o600);
    }
  });

  it("writes backups readable by their owner only", () => {
    const file = join(base, "backup.dump");
    backup(t.databaseUrl, file);
    expect(mode(file)).toBe(0o600);
  });

  it("keeps the saved WeChat session private, whatever mode the puppet's library wrote it with", async () => {
    const dir = join(base, "wechat");
    const session = join(dir, "wechat.memory-card.json");
    const h = await startWechat(
      {},
      {
        dir,
        async beforeStart() {
          writeFileSync(session, "{}", { mode: 0o644 });
        },
      },
    );
    try {
      expect(mode(session)).toBe(0o600);
    } finally {
      await h.close();
    }
  });
});
