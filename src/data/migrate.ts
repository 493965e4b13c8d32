import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type Database from "better-sqlite3";
import type pg from "pg";

const prismaDir = join(dirname(fileURLToPath(import.meta.url)), "../../prisma");
export const migrationDirs = { sqlite: join(prismaDir, "migrations"), postgres: join(prismaDir, "postgresql/migrations") };

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** The committed migrations of one database, in order (Prisma's folder layout). */
function migrations(dir: string): Migration[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

/**
 * Applies prisma/migrations at start-up, recording them in Prisma's own `_prisma_migrations`
 * table so `prisma migrate deploy` sees the same history. Done in-process because spawning the
 * Prisma CLI costs seconds of start-up and a fresh database must be usable at once.
 */
export function migrateSqlite(db: Database.Database, dir = migrationDirs.sqlite): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "checksum" TEXT NOT NULL,
    "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL,
    "logs" TEXT,
    "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0
  )`);
  const applied = new Set(
    (
      db
        .prepare(`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`)
        .all() as { migration_name: string }[]
    ).map((r) => r.migration_name),
  );
  const pending = migrations(dir).filter((m) => !applied.has(m.name));
  if (!pending.length) return [];
  // Prisma's table redefinitions switch foreign keys off around a DROP TABLE; that pragma is a
  // no-op inside a transaction, so do it here or the drop would cascade into child tables.
  const foreignKeys = db.pragma("foreign_keys", { simple: true });
  db.pragma("foreign_keys = OFF");
  for (const m of pending) {
    // IMMEDIATE: a second process starting at the same time waits here, then finds it applied.
    db.transaction(() => {
      const done = db
        .prepare(`SELECT 1 FROM _prisma_migrations WHERE migration_name = ? AND finished_at IS NOT NULL`)
        .get(m.name);
      if (done) return;
      db.exec(m.sql);
      db.prepare(
        `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
         VALUES (?, ?, current_timestamp, ?, current_timestamp, 1)`,
      ).run(randomUUID(), m.checksum, m.name);
    }).immediate();
  }
  const broken = db.pragma("foreign_key_check") as unknown[];
  if (broken.length) throw new Error(`migrations left ${broken.length} rows violating foreign keys`);
  db.pragma(`foreign_keys = ${foreignKeys ? "ON" : "OFF"}`);
  return pending.map((m) => m.name);
}

/** Any constant: the advisory lock every instance takes around migrating. */
const MIGRATION_LOCK = 727_001;

/**
 * The same for PostgreSQL, in one transaction under an advisory lock: when several instances
 * start together, one migrates and the others wait, then find nothing left to do.
 */
export async function migratePostgres(client: pg.ClientBase, dir = migrationDirs.postgres): Promise<string[]> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    )`);
    const { rows } = await client.query<{ migration_name: string }>(
      `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const applied = new Set(rows.map((r) => r.migration_name));
    const pending = migrations(dir).filter((m) => !applied.has(m.name));
    for (const m of pending) {
      await client.query(m.sql);
      await client.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
         VALUES ($1, $2, now(), $3, now(), 1)`,
        [randomUUID(), m.checksum, m.name],
      );
    }
    await client.query("COMMIT");
    return pending.map((m) => m.name);
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}
