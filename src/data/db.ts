import { EventEmitter } from "node:events";
import { sql as rawSql, type Kysely, Kysely as KyselyClass, type Transaction } from "kysely";
import type { Logger } from "pino";
import type { DB } from "../generated/kysely/types.ts";
import { migratePostgres, migrateSqlite } from "./migrate.ts";
import { openPool, PgNotifications, postgresDialect } from "./postgres.ts";
import { openSqliteFile, type SqliteSync, sqliteDialect } from "./sqlite.ts";

export type { DB };
/** A Kysely handle: the root one or a transaction (a Transaction is a Kysely). */
export type Executor = Kysely<DB>;
export type Tx = Transaction<DB>;
export type DialectName = "sqlite" | "postgres";

/**
 * The one place that knows which database it is. Everything else in src/data writes Kysely
 * queries that run on both; where the two differ (claiming rows with SKIP LOCKED, a unique
 * violation's error code, live notifications) the code asks `dialect` here.
 */
export interface Database {
  readonly k: Kysely<DB>;
  readonly dialect: DialectName;
  /** For logs: the file path, or host/database without credentials. */
  readonly where: string;
  /** Statements sent so far (BEGIN and COMMIT included): round trips, on PostgreSQL. */
  readonly statements: () => number;
  /** SQLite only: the same connection, synchronously, for the per-message path. */
  readonly sync?: SqliteSync;
  /** True when the database answers within a second. */
  ping(): Promise<boolean>;
  /** Publishes to every instance (PostgreSQL NOTIFY; in-process on SQLite, one instance per file host). */
  notify(channel: string, payload: string): Promise<void>;
  listen(channel: string, handler: (payload: string) => void): () => void;
  close(): Promise<void>;
}

export interface OpenOptions {
  log?: Logger | undefined;
  /** PostgreSQL pool size per instance (default 10). */
  poolSize?: number;
}

/** Opens and migrates the database named by a `file:` path or a `postgresql://` URL. */
export async function openDatabase(url: string, opts: OpenOptions = {}): Promise<Database> {
  return isPostgresUrl(url) ? openPostgres(url, opts) : openSqlite(sqlitePath(url));
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

function sqlitePath(url: string): string {
  const raw = url.startsWith("file:") ? url.slice("file:".length) : url;
  return decodeURIComponent(raw.startsWith("/") ? raw : new URL(raw, `file://${process.cwd()}/`).pathname);
}

/** Counts statements through Kysely's log hook (PostgreSQL: every statement is a round trip). */
function counted() {
  let n = 0;
  return { log: () => void n++, statements: () => n };
}

function openSqlite(path: string): Database {
  const file = openSqliteFile(path);
  migrateSqlite(file);
  const { dialect, sync } = sqliteDialect(file);
  const k = new KyselyClass<DB>({ dialect });
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  let closed = false;
  return {
    k,
    dialect: "sqlite",
    where: path,
    statements: () => sync.statements,
    sync,
    async ping() {
      try {
        await rawSql`SELECT 1`.execute(k);
        return true;
      } catch {
        return false;
      }
    },
    async notify(channel, payload) {
      bus.emit(channel, payload);
    },
    listen(channel, handler) {
      bus.on(channel, handler);
      return () => bus.off(channel, handler);
    },
    async close() {
      if (closed) return;
      closed = true;
      await k.destroy();
    },
  };
}

async function openPostgres(url: string, opts: OpenOptions): Promise<Database> {
  const pool = openPool(url, opts.poolSize ?? 10);
  const client = await pool.connect();
  try {
    await migratePostgres(client);
  } finally {
    client.release();
  }
  const count = counted();
  const k = new KyselyClass<DB>({ dialect: postgresDialect(pool), log: count.log });
  const notifications = new PgNotifications(url, opts.log);
  await notifications.start();
  const where = (() => {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  })();
  let closed = false;
  return {
    k,
    dialect: "postgres",
    where,
    statements: count.statements,
    async ping() {
      try {
        await Promise.race([
          rawSql`SELECT 1`.execute(k),
          new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 1_000).unref()),
        ]);
        return true;
      } catch {
        return false;
      }
    },
    async notify(channel, payload) {
      await rawSql`SELECT pg_notify(${channel}, ${payload})`.execute(k);
    },
    listen(channel, handler) {
      return notifications.listen(channel, handler);
    },
    async close() {
      if (closed) return;
      closed = true;
      await notifications.close();
      await k.destroy();
    },
  };
}

/** A unique constraint refused an insert (the same on both databases). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505";
}
