import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";

/**
 * The PostgreSQL server the benchmark creates its databases on: BENCH_PG_ADMIN_URL, else the
 * test suite's TEST_PG_ADMIN_URL, else the local server of ../shared/environment.md. The role
 * needs CREATEDB.
 */
export const PG_ADMIN_URL =
  process.env.BENCH_PG_ADMIN_URL || process.env.TEST_PG_ADMIN_URL || "postgresql://app:app@127.0.0.1:5432/postgres";

/** host:port/database, without credentials (for messages and the report). */
export function pgWhere(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Null when the server answers within 5 s, else why not (one line). */
export async function pgUnreachable(adminUrl = PG_ADMIN_URL): Promise<string | null> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).split("\n")[0]!;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** "PostgreSQL 15.18 at host:port/db (synchronous_commit=on, …)": the settings that decide what a commit costs. */
export async function pgServerText(adminUrl = PG_ADMIN_URL): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const names = ["server_version", "synchronous_commit", "fsync", "shared_buffers", "max_connections"];
    const { rows } = await client.query<{ name: string; value: string }>(
      "SELECT name, current_setting(name) AS value FROM unnest($1::text[]) AS name",
      [names],
    );
    const [version, ...rest] = rows;
    return `PostgreSQL ${version?.value} at ${pgWhere(adminUrl)} (${rest.map((r) => `${r.name}=${r.value}`).join(", ")})`;
  } finally {
    await client.end();
  }
}

/** A database made for one run of the benchmark; `drop()` removes it (connections still open are closed). */
export interface BenchDatabase {
  url: string;
  name: string;
  /** Resident messages stored (direction 'in'), of residents whose id starts with `prefix` (all when unset). */
  countInbound(prefix?: string): Promise<number>;
  /** pg_database_size: what the database takes on disk, bytes. */
  size(): Promise<number>;
  /**
   * CPU time (user + system, µs) used so far by the server processes serving this database's
   * connections, read from /proc: null when the server is not on this machine. A backend that
   * exits takes its time with it; the service's pool keeps its connections while it is busy.
   */
  backendCpu(): Promise<number | null>;
  drop(): Promise<void>;
}

/** Creates an empty database `yjb_<random>` (the service migrates it when it starts). */
export async function createBenchDatabase(adminUrl = PG_ADMIN_URL): Promise<BenchDatabase> {
  const name = `yjb_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  // One connection for the benchmark's own queries, opened lazily and closed on drop.
  let client: pg.Client | null = null;
  const query = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
    if (!client) {
      client = new pg.Client({ connectionString: url, application_name: "yongju-bench" });
      await client.connect();
    }
    return (await client.query<T>(text, values)).rows;
  };
  return {
    url,
    name,
    async countInbound(prefix) {
      const inbound = `SELECT count(*) AS n FROM "Message" WHERE direction = 'in'`;
      const rows = prefix
        ? await query<{ n: string }>(`${inbound} AND "residentId" IN (SELECT id FROM "Resident" WHERE "channelUserId" LIKE $1)`, [
            `${prefix}-%`,
          ])
        : await query<{ n: string }>(inbound);
      return Number(rows[0]!.n);
    },
    async size() {
      const rows = await query<{ n: string }>("SELECT pg_database_size($1) AS n", [name]);
      return Number(rows[0]!.n);
    },
    async backendCpu() {
      const rows = await query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        [name],
      );
      let total = 0;
      for (const { pid } of rows) {
        const micros = processCpuMicros(pid, "postgres");
        if (micros === null) return null;
        total += micros;
      }
      return total;
    },
    async drop() {
      await (client as pg.Client | null)?.end().catch(() => undefined);
      client = null;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

let clockTicks: number | null = null;
/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times (100 nearly everywhere). */
function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU of a process on this machine in µs, if it exists and its name starts with `name`. */
function processCpuMicros(pid: number, name: string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid …": comm may contain spaces, so split after the last ")".
    const close = stat.lastIndexOf(")");
    if (!stat.slice(stat.indexOf("(") + 1, close).startsWith(name)) return null;
    const fields = stat.slice(close + 2).split(" ");
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after "pid (comm) ".
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks / ticksPerSecond()) * 1e6;
  } catch {
    return null;
  }
}
