/**
 * Backup and restore of the database named by DATABASE_URL, the same way for operators and tests:
 *
 *   npm run db:backup -- <file>    a consistent copy while the service runs (mode 600)
 *   npm run db:restore -- <file>   puts a copy back (SQLite: stop the service first)
 *
 * SQLite: `VACUUM INTO` (a transaction-consistent copy, WAL included) and a file copy back.
 * PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists` (the client tools of
 * the server's major version or newer must be installed). The keys are not in the backup:
 * keep DATA_ENCRYPTION_KEY / data/secrets.json with it.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, copyFileSync, existsSync, openSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import Database from "better-sqlite3";
import { ConfigError, loadConfig } from "../src/config/config.ts";
import { loadDotEnv } from "../src/config/env-file.ts";
import { isPostgresUrl } from "../src/data/db.ts";

function sqlitePath(url: string): string {
  const raw = url.slice("file:".length);
  return resolve(decodeURIComponent(raw));
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: "inherit" });
  if (result.error) throw new Error(`${command}: ${result.error.message} (is the PostgreSQL client installed?)`);
  if (result.status !== 0) throw new Error(`${command} exited with ${result.status}`);
}

export function backup(url: string, file: string): void {
  const target = resolve(file);
  if (existsSync(target)) throw new Error(`${target} exists: choose a new file name`);
  // Created empty and private first (both tools write into an existing empty file), so the copy
  // is never readable by others, not even while it is being written.
  closeSync(openSync(target, "wx", 0o600));
  try {
    if (isPostgresUrl(url)) run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", `--file=${target}`, url]);
    else {
      const db = new Database(sqlitePath(url), { readonly: true, fileMustExist: true });
      try {
        db.prepare("VACUUM INTO ?").run(target);
      } finally {
        db.close();
      }
    }
  } catch (err) {
    // No half-written copy left behind to be mistaken for a backup.
    rmSync(target, { force: true });
    throw err;
  }
  chmodSync(target, 0o600);
}

export function restore(url: string, file: string): void {
  const source = resolve(file);
  if (!existsSync(source)) throw new Error(`no such backup: ${source}`);
  if (isPostgresUrl(url)) {
    run("pg_restore", [
      "--clean",
      "--if-exists",
      "--no-owner",
      "--no-privileges",
      "--single-transaction",
      `--dbname=${url}`,
      source,
    ]);
    return;
  }
  const path = sqlitePath(url);
  for (const suffix of ["-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
  copyFileSync(source, path);
  chmodSync(path, 0o600);
}

if (process.argv[1] && import.meta.filename === resolve(process.argv[1])) {
  const [command, file] = process.argv.slice(2);
  try {
    if (!file || (command !== "backup" && command !== "restore")) {
      console.error("usage: npm run db:backup -- <file> | npm run db:restore -- <file>");
      process.exit(2);
    }
    loadDotEnv();
    const { DATABASE_URL } = loadConfig();
    (command === "backup" ? backup : restore)(DATABASE_URL, file);
    console.log(`${command === "backup" ? "backed up to" : "restored from"} ${resolve(file)}`);
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `${command}: ${(err as Error).message}`);
    process.exit(1);
  }
}
