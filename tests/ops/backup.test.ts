import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { freshDatabaseUrl } from "../helpers/database.ts";

const root = join(import.meta.dirname, "../..");
const apps: TestApp[] = [];
afterEach(async () => {
  for (const t of apps.splice(0).reverse()) await t.close();
});

/** The operator's commands, as documented: npm run db:backup / db:restore. */
function npmRun(script: string, file: string, env: Record<string, string>) {
  return spawnSync("npm", ["run", "--silent", script, "--", file], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: "silent", ...env },
    encoding: "utf8",
  });
}

describe("backup and restore", { timeout: 120_000 }, () => {
  it("copies a running service's database and brings it back into an empty one", async () => {
    const t = await createTestApp();
    apps.push(t);
    const before = await t.say("backup-resident", "居住证怎么续签", "b-1");

    const file = join(t.dir, "backup.dump");
    const made = npmRun("db:backup", file, { DATABASE_URL: t.databaseUrl, DATA_DIR: t.dir });
    expect(made.status, made.stderr).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // A new, empty database (a new file on SQLite; a new database, not yet migrated, on PostgreSQL).
    const target = await freshDatabaseUrl(join(t.dir, "restored"), { empty: true });
    const restoredUrl = target.startsWith("file:") ? `file:${join(t.dir, "restored.db")}` : target;
    const back = npmRun("db:restore", file, { DATABASE_URL: restoredUrl, DATA_DIR: t.dir });
    expect(back.status, back.stderr).toBe(0);

    // The same keys (DATA_DIR), the restored database: the conversation is there, and the same
    // message id is recognised as already answered.
    const restored = await createTestApp({ DATA_DIR: t.dir }, { dir: t.dir, databaseUrl: restoredUrl });
    apps.push(restored);
    expect(await restored.say("backup-resident", "居住证怎么续签", "b-1")).toEqual(before);
    const stored = await restored.sql.get<{ n: number }>(`SELECT count(*) AS n FROM "Message"`);
    expect(stored?.n).toBe(2);
  });

  it("refuses to overwrite an existing backup file", async () => {
    const t = await createTestApp();
    apps.push(t);
    const file = join(t.dir, "twice.dump");
    expect(npmRun("db:backup", file, { DATABASE_URL: t.databaseUrl, DATA_DIR: t.dir }).status).toBe(0);
    const again = npmRun("db:backup", file, { DATABASE_URL: t.databaseUrl, DATA_DIR: t.dir });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("exists");
  });
});
