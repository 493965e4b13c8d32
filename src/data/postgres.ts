import { PostgresDialect } from "kysely";
import pg from "pg";
import type { Logger } from "pino";

/**
 * BIGINT (epoch milliseconds, counts) and NUMERIC (sums) come back as numbers, as on SQLite:
 * every value involved is far below 2^53.
 */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export function openPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // A statement stuck behind a lock for this long is a bug or an outage: fail it, never hang.
    statement_timeout: 30_000,
    application_name: "yongju-assistant",
  });
  // A client that loses its connection (database restart, network cut) emits "error"; without a
  // listener Node would crash the whole instance. Idle ones emit on the pool, checked-out ones on
  // the client (a query under way gets the error itself). The pool replaces broken clients.
  pool.on("error", () => undefined);
  pool.on("connect", (client) => client.on("error", () => undefined));
  return pool;
}

export function postgresDialect(pool: pg.Pool): PostgresDialect {
  return new PostgresDialect({ pool });
}

/** A channel name PostgreSQL accepts unquoted. */
const CHANNEL = /^[a-z_][a-z0-9_]*$/;

/**
 * LISTEN/NOTIFY on one dedicated connection, reconnecting with backoff when the database goes
 * away: live updates (a web-chat wake-up, a catalogue publish) reach every instance.
 */
export class PgNotifications {
  private client: pg.Client | null = null;
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();
  private closed = false;
  private retryMs = 500;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly log: Logger | undefined,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url, application_name: "yongju-assistant-listen" });
    client.on("error", (err) => this.lost(client, err));
    client.on("end", () => this.lost(client, new Error("connection ended")));
    client.on("notification", (n) => {
      for (const handler of this.handlers.get(n.channel) ?? []) handler(n.payload ?? "");
    });
    try {
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`LISTEN ${channel}`);
      this.client = client;
      this.retryMs = 500;
    } catch (err) {
      this.lost(client, err as Error);
    }
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.client === client) this.client = null;
    client.removeAllListeners("end");
    void client.end().catch(() => undefined);
    if (this.closed || this.timer) return;
    this.log?.warn({ err: err.message, retryInMs: this.retryMs }, "database notifications lost; reconnecting");
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, 30_000);
  }

  listen(channel: string, handler: (payload: string) => void): () => void {
    if (!CHANNEL.test(channel)) throw new Error(`bad notification channel ${channel}`);
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      void this.client?.query(`LISTEN ${channel}`).catch(() => undefined);
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
    }
  }
}
