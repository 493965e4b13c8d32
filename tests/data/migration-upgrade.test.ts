/**
 * A database created before the retention/WeChat-identity migration keeps every row when the
 * new service starts on it and applies that migration and the later ones (SQLite redefines the
 * Resident and Conversation tables: their children must survive).
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migratePostgres, migrateSqlite, migrationDirs } from "../../src/data/migrate.ts";
import { Store } from "../../src/data/store.ts";
import { freshDatabaseUrl, onPostgres, quoteMixedCase, sqlProbe } from "../helpers/database.ts";

const MIGRATION = "retention_and_wechat_identity";
const dir = mkdtempSync(join(tmpdir(), "yongju-upgrade-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The committed migrations before this one (the service applies it and every later one). */
function before(source: string): string {
  const target = join(dir, `before-${source.length}`);
  const names = readdirSync(source).sort();
  const upTo = names.findIndex((name) => name.endsWith(MIGRATION));
  for (const name of names.slice(0, upTo)) cpSync(join(source, name), join(target, name), { recursive: true });
  // The lock file (not a migration) goes along.
  for (const name of names.filter((n) => !/^\d/.test(n))) cpSync(join(source, name), join(target, name), { recursive: true });
  return target;
}

const rows = [
  `INSERT INTO "Resident" (id, channel, channelUserId, displayName, createdAt, lastSeenAt) VALUES ('r1', 'wechat', 'wxid_old', '张三', 1, 2)`,
  `INSERT INTO "Conversation" (id, residentId, status, state, createdAt, updatedAt, lastMessageAt) VALUES ('c1', 'r1', 'bot', '{}', 1, 2, 2)`,
  `INSERT INTO "Message" (conversationId, residentId, direction, author, text, createdAt) VALUES ('c1', 'r1', 'in', 'resident', '你好', 2)`,
  `INSERT INTO "Application" (id, reference, type, status, residentId, data, createdAt, updatedAt) VALUES ('a1', 'YJ20260101-AAAA', 'address_report', 'pending', 'r1', '{}', 1, 1)`,
];

describe("upgrading a database from before the retention and WeChat identity migration", () => {
  it("keeps residents, conversations, messages and applications; residents start reachable", async () => {
    const url = await freshDatabaseUrl(dir, { empty: true });
    if (onPostgres) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await migratePostgres(client, before(migrationDirs.postgres));
      for (const sql of rows) await client.query(quoteMixedCase(sql));
      await client.end();
    } else {
      const db = new Database(url.slice("file:".length));
      migrateSqlite(db, before(migrationDirs.sqlite));
      db.pragma("foreign_keys = ON");
      for (const sql of rows) db.exec(sql);
      db.close();
    }
    const store = await Store.open(url);
    await store.close();
    const probe = sqlProbe(url);
    try {
      expect(await probe.all(`SELECT id, channelUserId, displayName, reachable, contactKey FROM "Resident"`)).toEqual([
        { id: "r1", channelUserId: "wxid_old", displayName: "张三", reachable: true, contactKey: null },
      ]);
      expect(await probe.all(`SELECT id, state, rateWindowStart, rateCount FROM "Conversation"`)).toEqual([
        { id: "c1", state: "{}", rateWindowStart: 0, rateCount: 0 },
      ]);
      for (const table of ["Conversation", "Message", "Application"]) {
        expect((await probe.get<{ n: number }>(`SELECT count(*) AS n FROM "${table}"`))?.n, table).toBe(1);
      }
    } finally {
      await probe.close();
    }
  });
});
