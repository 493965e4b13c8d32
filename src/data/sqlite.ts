import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type TransactionSettings,
} from "kysely";

/**
 * Opens the SQLite file: private to the service's user (the file, and SQLite gives its WAL and
 * shared-memory files the same mode), WAL journal, and the pragmas measured for this workload.
 */
export function openSqliteFile(path: string): Database.Database {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) closeSync(openSync(path, "a", 0o600));
  chmodSync(path, 0o600);
  const sql = new Database(path);
  sql.pragma("journal_mode = WAL");
  sql.pragma("synchronous = NORMAL");
  sql.pragma("busy_timeout = 5000");
  sql.pragma("foreign_keys = ON");
  // A 64 MB page cache and fewer checkpoints (each waits for an fsync): measured on 1,000,000
  // permits, the first reminder scan went from ~14 s to ~5 s; chat turns cost ~10% less CPU.
  sql.pragma("cache_size = -65536");
  sql.pragma("wal_autocheckpoint = 10000");
  return sql;
}

interface CachedStatement {
  statement: Database.Statement;
  /** Result columns declared BOOLEAN: SQLite stores 0/1, the rest of the code sees booleans. */
  booleans: string[];
  /** When it was last used (a counter): the least recently used is evicted. */
  used: number;
}

/**
 * Synchronous access to the one SQLite connection and its statement cache, for the per-message
 * path (src/data/turn-store.ts): a statement run directly costs a few microseconds, the same
 * statement through Kysely's async executor and connection lock several more, which on SQLite
 * is a large share of a turn. Only for statements compiled by Kysely (same SQL, same types).
 */
export interface SqliteSync {
  /** True while a transaction is open on the connection: then use Kysely, which waits for it. */
  readonly inTransaction: boolean;
  all(sql: string, parameters: readonly unknown[]): Record<string, unknown>[];
  run(sql: string, parameters: readonly unknown[]): { changes: number; lastInsertRowid: number };
  exec(sql: string): void;
  /** Statements run so far (metrics). */
  readonly statements: number;
}

/**
 * Statements kept prepared. Bounded: queries with a varying number of rows or values produce
 * new SQL texts, and an unbounded cache would hold native memory for each of them forever.
 */
const CACHE_SIZE = 256;

/**
 * Kysely's SQLite connection with one difference that matters for speed: every statement is
 * prepared once per connection and reused (parsing SQL costs more than running it here), and
 * booleans are mapped both ways so the types generated from the schema hold on both databases.
 */
class CachedSqliteConnection implements DatabaseConnection, SqliteSync {
  private readonly cache = new Map<string, CachedStatement>();
  private uses = 0;
  statements = 0;

  constructor(private readonly db: Database.Database) {}

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  private prepare(text: string): CachedStatement {
    const cached = this.cache.get(text);
    if (cached) {
      // A counter, not a re-insertion: re-inserting on every hit made the Map rebuild its table
      // again and again, and those tables outlived young collections (measured: about 1 KB of
      // promoted garbage per chat turn, which every collection then paid for).
      cached.used = ++this.uses;
      return cached;
    }
    const statement = this.db.prepare(text);
    const booleans = statement.reader
      ? statement
          .columns()
          .filter((c) => c.type?.toUpperCase() === "BOOLEAN")
          .map((c) => c.name)
      : [];
    const fresh = { statement, booleans, used: ++this.uses };
    if (this.cache.size >= CACHE_SIZE) this.evictLeastRecent();
    this.cache.set(text, fresh);
    return fresh;
  }

  /** Only when a new SQL text arrives with the cache full: one scan of CACHE_SIZE entries. */
  private evictLeastRecent(): void {
    let oldest: string | undefined;
    let at = Number.POSITIVE_INFINITY;
    for (const [text, entry] of this.cache) {
      if (entry.used < at) {
        at = entry.used;
        oldest = text;
      }
    }
    if (oldest !== undefined) this.cache.delete(oldest);
  }

  all(sql: string, parameters: readonly unknown[]): Record<string, unknown>[] {
    const { statement, booleans } = this.prepare(sql);
    this.statements++;
    const rows = statement.all(parameters.map(toSqlite)) as Record<string, unknown>[];
    if (booleans.length) {
      for (const row of rows) for (const name of booleans) if (row[name] != null) row[name] = row[name] === 1;
    }
    return rows;
  }

  run(sql: string, parameters: readonly unknown[]): { changes: number; lastInsertRowid: number } {
    const { statement } = this.prepare(sql);
    this.statements++;
    const { changes, lastInsertRowid } = statement.run(parameters.map(toSqlite));
    return { changes, lastInsertRowid: Number(lastInsertRowid) };
  }

  /** BEGIN / COMMIT / ROLLBACK, prepared once like every other statement (exec would parse each time). */
  exec(sql: string): void {
    this.statements++;
    this.prepare(sql).statement.run();
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (this.prepare(compiled.sql).statement.reader) return { rows: this.all(compiled.sql, compiled.parameters) as R[] };
    const { changes, lastInsertRowid } = this.run(compiled.sql, compiled.parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  // biome-ignore lint/correctness/useYield: streaming is not used; Kysely's interface requires the method
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming is not supported on this connection");
  }
}

function toSqlite(value: unknown): unknown {
  return typeof value === "boolean" ? (value ? 1 : 0) : value;
}

class CachedSqliteDriver implements Driver {
  constructor(
    private readonly db: Database.Database,
    private readonly connection: CachedSqliteConnection,
  ) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.connection;
  }
  // IMMEDIATE takes the write lock at BEGIN: two processes on one file then wait (busy_timeout)
  // instead of failing when a read transaction tries to become a write one.
  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("commit"));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("rollback"));
  }
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {
    this.db.close();
  }
}

/**
 * A Kysely dialect over one better-sqlite3 connection (Kysely serialises its use), and
 * synchronous access to the same connection for the per-message path.
 */
export function sqliteDialect(db: Database.Database): { dialect: Dialect; sync: SqliteSync } {
  const connection = new CachedSqliteConnection(db);
  return {
    sync: connection,
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new CachedSqliteDriver(db, connection),
      createIntrospector: (k) => new SqliteIntrospector(k),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  };
}
