import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type Database from "better-sqlite3";

/**
 * Applies prisma/migrations at start-up, recording them in Prisma's own `_prisma_migrations`
 * table so `prisma migrate dev/deploy` see the same history. Done in-process because spawning
 * the Prisma CLI costs seconds of start-up and a fresh database must be usable at once.
 */
export function applyMigrations(db: Database.Database, migrationsDir: string): string[] {
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
  if (!existsSync(migrationsDir)) return [];
  const applied = new Set(
    (
      db
        .prepare(`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`)
        .all() as { migration_name: string }[]
    ).map((r) => r.migration_name),
  );
  const pending = readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(migrationsDir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .filter((name) => !applied.has(name));

  const done: string[] = [];
  if (!pending.length) return done;
  // Prisma's table redefinitions switch foreign keys off around a DROP TABLE; that pragma is a
  // no-op inside a transaction, so do it here or the drop would cascade into child tables.
  const foreignKeys = db.pragma("foreign_keys", { simple: true });
  db.pragma("foreign_keys = OFF");
  for (const name of pending) {
    const sql = readFileSync(join(migrationsDir, name, "migration.sql"), "utf8");
    const checksum = createHash("sha256").update(sql).digest("hex");
    db.transaction(() => {
      db.exec(sql);
      db.prepare(
        `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
         VALUES (?, ?, current_timestamp, ?, current_timestamp, 1)`,
      ).run(randomUUID(), checksum, name);
    })();
    done.push(name);
  }
  const broken = db.pragma("foreign_key_check") as unknown[];
  if (broken.length) throw new Error(`migrations left ${broken.length} rows violating foreign keys`);
  db.pragma(`foreign_keys = ${foreignKeys ? "ON" : "OFF"}`);
  return done;
}
