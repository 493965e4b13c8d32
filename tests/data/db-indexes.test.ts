/**
 * Indexes the model cannot state (Prisma's schema has no WHERE): the migrations make the unique
 * index on a message's channel id partial, so the many rows without one (every bot reply) do not
 * write to it. Redelivery is still refused per resident. Fails if a later migration recreates
 * the Message table with the full index.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/data/store.ts";
import { freshDatabaseUrl, onPostgres, type SqlProbe, sqlProbe } from "../helpers/database.ts";

const dir = mkdtempSync(join(tmpdir(), "yongju-indexes-"));
let probe: SqlProbe;

beforeAll(async () => {
  const url = await freshDatabaseUrl(dir);
  await (await Store.open(url)).close();
  probe = sqlProbe(url);
  await probe.run(`INSERT INTO "Resident" (id, channel, channelUserId, createdAt, lastSeenAt) VALUES ('r1', 'api', 'u1', 1, 1)`);
  await probe.run(
    `INSERT INTO "Conversation" (id, residentId, createdAt, updatedAt, lastMessageAt) VALUES ('c1', 'r1', 1, 1, 1)`,
  );
});
afterAll(async () => {
  await probe?.close();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (channelMessageId: string | null) =>
  probe.run(
    `INSERT INTO "Message" (conversationId, residentId, direction, author, text, channelMessageId, createdAt) VALUES ('c1', 'r1', 'in', 'resident', '你好', ?, 1)`,
    channelMessageId,
  );

describe("the index on a message's channel id", () => {
  it("is partial: only messages with a channel id have an entry", async () => {
    const definition = onPostgres
      ? (
          await probe.get<{ d: string }>(
            `SELECT indexdef AS d FROM pg_indexes WHERE indexname = 'Message_residentId_channelMessageId_key'`,
          )
        )?.d
      : (
          await probe.get<{ d: string }>(
            `SELECT sql AS d FROM sqlite_master WHERE name = 'Message_residentId_channelMessageId_key'`,
          )
        )?.d;
    expect(definition).toMatch(/UNIQUE INDEX/i);
    expect(definition).toMatch(/WHERE\s*\(?\s*"?channelMessageId"? IS NOT NULL/i);
  });

  it("still refuses the same channel id twice for one resident, and takes any number without one", async () => {
    await insert("wx-1");
    await expect(insert("wx-1")).rejects.toThrow(/unique|duplicate/i);
    await insert(null);
    await insert(null);
    expect((await probe.get<{ n: number }>(`SELECT count(*) AS n FROM "Message"`))?.n).toBe(3);
  });
});
