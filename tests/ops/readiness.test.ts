/**
 * A database outage, for real: the service reaches PostgreSQL through a TCP relay that the test
 * cuts and restores. /readyz fails while the database is unreachable and recovers by itself;
 * residents get a 503 "try again" rather than a 500, and nothing is half-stored.
 * (SQLite is a file in the same process: it has no outage of this kind.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket, connect } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { freshDatabaseUrl, onPostgres } from "../helpers/database.ts";
import { eventually } from "../helpers/processes.ts";

/** Forwards a local port to PostgreSQL; `cut()` drops every connection and refuses new ones. */
class Relay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as AddressInfo).port;
  }

  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }
}

describe.runIf(onPostgres)("the database goes away and comes back", { timeout: 120_000 }, () => {
  let t: TestApp;
  let relay: Relay;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "yongju-outage-"));
    const direct = new URL(await freshDatabaseUrl(dir));
    relay = new Relay({ host: direct.hostname, port: Number(direct.port || 5432) });
    await relay.open();
    direct.port = String(relay.port);
    t = await createTestApp({ DATABASE_URL: direct.toString(), DATA_DIR: dir });
  });
  afterAll(async () => {
    await t?.close();
    await relay?.cut();
    rmSync(dir, { recursive: true, force: true });
  });

  const ready = async () => (await t.app.inject({ method: "GET", url: "/readyz" })).statusCode;

  it("fails /readyz during the outage, answers residents 503, and recovers by itself", async () => {
    expect(await ready()).toBe(200);
    expect((await t.say("outage-1", "你好")).replies.length).toBeGreaterThan(0);

    await relay.cut();
    await eventually(async () => (await ready()) === 503, 15_000, 200);
    const during = await t.app.inject({
      method: "POST",
      url: "/api/v1/messages",
      headers: { authorization: "Bearer test-token-123456" },
      payload: { channel: "api", userId: "outage-1", text: "居住证怎么续签", messageId: "during-outage" },
    });
    expect(during.statusCode).toBe(503);
    expect(during.headers["retry-after"]).toBe("5");
    expect(during.json().error.code).toBe("unavailable");

    // Same port again: the pool reconnects on its own, no restart.
    await relay.open();
    await eventually(async () => (await ready()) === 200, 30_000, 250);
    // The message the resident retries after the outage is processed once.
    const after = await t.say("outage-1", "居住证怎么续签", "during-outage");
    expect(after.replies[0]?.intent).toBe("faq");
    const stored = await t.sql.get<{ n: number }>(`SELECT count(*) AS n FROM "Message" WHERE channelMessageId = 'during-outage'`);
    expect(stored).toEqual({ n: 1 });
  });
});
