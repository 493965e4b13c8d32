/**
 * The database a test runs on: a fresh SQLite file, or — in the PostgreSQL project — a fresh
 * PostgreSQL database cloned from the run's migrated template. `TEST_DATABASE` (set per vitest
 * project in vitest.config.ts) decides; every test file runs on both.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { inject } from "vitest";

export const onPostgres = process.env.TEST_DATABASE === "postgres";

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A DATABASE_URL for a new database: a file in `dir` (SQLite), or a PostgreSQL database cloned
 * from the migrated template — or created empty with `{ empty: true }` (to watch migrations run).
 */
export async function freshDatabaseUrl(dir: string, opts: { empty?: boolean } = {}): Promise<string> {
  if (!onPostgres) return `file:${join(dir, "app.db")}`;
  const admin = inject("pgAdminUrl" as never) as string;
  const name = `${inject("pgRun" as never) as string}_${randomBytes(5).toString("hex")}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    // Cloning the template copies its migrated tables: far faster than migrating each time.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(
          opts.empty ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${inject("pgTemplate" as never) as string}`,
        );
        break;
      } catch (err) {
        // Two clones at the same instant: "source database is being accessed by other users".
        if (attempt > 20 || (err as { code?: string }).code !== "55006") throw err;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  } finally {
    await client.end();
  }
  return withDatabase(admin, name);
}

/**
 * Plain SQL against a test's database, for assertions about what is stored — an outside
 * observer, like an operator with psql. Write it portable (double-quoted identifiers, `?`
 * placeholders); BIGINT comes back as numbers and BOOLEAN as true/false on both databases.
 */
export interface SqlProbe {
  all<T = Record<string, unknown>>(text: string, ...params: unknown[]): Promise<T[]>;
  get<T = Record<string, unknown>>(text: string, ...params: unknown[]): Promise<T | undefined>;
  run(text: string, ...params: unknown[]): Promise<number>;
  close(): Promise<void>;
}

const pgTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/**
 * PostgreSQL folds unquoted names to lower case; Prisma's tables and columns are mixed case
 * ("residentId"). Tests may write them bare, as SQLite allows: outside string literals and
 * already-quoted names, a mixed-case word is quoted here.
 */
export function quoteMixedCase(text: string): string {
  return text.replace(/'(?:[^']|'')*'|"[^"]*"|\b[A-Za-z_][A-Za-z0-9_]*\b/g, (token) =>
    /^[A-Za-z_]/.test(token) && /[a-z]/.test(token) && /[A-Z]/.test(token) ? `"${token}"` : token,
  );
}

export function sqlProbe(url: string): SqlProbe {
  if (url.startsWith("file:")) {
    const db = new Database(url.slice("file:".length));
    db.pragma("busy_timeout = 5000");
    const bind = (params: unknown[]) => params.map((p) => (typeof p === "boolean" ? (p ? 1 : 0) : p));
    const rows = (text: string, params: unknown[]) => {
      const st = db.prepare(text);
      const booleans = st.reader
        ? st
            .columns()
            .filter((c) => c.type?.toUpperCase() === "BOOLEAN")
            .map((c) => c.name)
        : [];
      const out = st.all(...bind(params)) as Record<string, unknown>[];
      for (const row of out) for (const b of booleans) if (row[b] != null) row[b] = row[b] === 1;
      return out;
    };
    return {
      async all(text, ...params) {
        return rows(text, params) as never;
      },
      async get(text, ...params) {
        return rows(text, params)[0] as never;
      },
      async run(text, ...params) {
        return db.prepare(text).run(...bind(params)).changes;
      },
      async close() {
        db.close();
      },
    };
  }
  const pool = new pg.Pool({ connectionString: url, max: 2, types: pgTypes });
  pool.on("error", () => undefined);
  pool.on("connect", (client) => client.on("error", () => undefined));
  const numbered = (text: string) => {
    let i = 0;
    return quoteMixedCase(text).replace(/\?/g, () => `$${++i}`);
  };
  return {
    async all(text, ...params) {
      return (await pool.query(numbered(text), params)).rows;
    },
    async get(text, ...params) {
      return (await pool.query(numbered(text), params)).rows[0];
    },
    async run(text, ...params) {
      return (await pool.query(numbered(text), params)).rowCount ?? 0;
    },
    async close() {
      await pool.end();
    },
  };
}
