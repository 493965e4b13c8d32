import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StaleConversationError } from "../../src/data/errors.ts";
import { Store } from "../../src/data/store.ts";
import type { TurnCommit, TurnSnapshot, TurnStore } from "../../src/data/turn-store.ts";
import { freshDatabaseUrl, type SqlProbe, sqlProbe } from "../helpers/database.ts";

let dir: string;
let data: Store;
let store: TurnStore;
/** Another connection: it sees only committed data. */
let reader: SqlProbe;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "yongju-turn-store-"));
  const url = await freshDatabaseUrl(dir);
  data = await Store.open(url);
  store = data.turns;
  reader = sqlProbe(url);
});
afterAll(async () => {
  await reader.close();
  await data.close();
  rmSync(dir, { recursive: true, force: true });
});

function turn(snapshot: TurnSnapshot, userId: string, text: string, now: number): TurnCommit {
  return {
    snapshot,
    channel: "api",
    userId,
    now,
    inbound: { text, intent: "faq" },
    replies: [{ text: `答复：${text}`, intent: "faq" }],
    result: { conversationId: snapshot.conversationId, replies: [], handoff: false },
    state: "{}",
    status: "bot",
    rate: { windowStart: now, count: 1 },
  };
}

/** What another process reading the database sees: only committed data. */
async function storedTexts(residentId: string): Promise<string[]> {
  return (await reader.all<{ text: string }>(`SELECT text FROM "Message" WHERE residentId = ? ORDER BY id`, residentId)).map(
    (r) => r.text,
  );
}

describe("group commit of turns", () => {
  it("answers each turn only once it is committed, and a failing turn rolls back alone", async () => {
    const now = 1_800_000_000_000;
    const a = await store.snapshot("api", "resident-a", now);
    const b = await store.snapshot("api", "resident-b", now);
    const c = await store.snapshot("api", "resident-c", now);
    // resident-b's conversation changes behind the turn's back (another process): its version is stale.
    await reader.run(`UPDATE "Conversation" SET version = version + 1 WHERE id = ?`, b.conversationId);

    const seen: Record<string, string[]> = {};
    const commits = [
      store.commit(turn(a, "resident-a", "居住证怎么续签", now)).then(async () => {
        seen.a = await storedTexts(a.residentId);
      }),
      store.commit(turn(b, "resident-b", "社保怎么转移", now)),
      store.commit(turn(c, "resident-c", "孩子怎么上学", now)).then(async () => {
        seen.c = await storedTexts(c.residentId);
      }),
    ];
    const [ra, rb, rc] = (await Promise.allSettled(commits)) as [
      PromiseSettledResult<unknown>,
      PromiseSettledResult<unknown>,
      PromiseSettledResult<unknown>,
    ];

    expect(ra.status).toBe("fulfilled");
    expect(rc.status).toBe("fulfilled");
    expect(rb.status === "rejected" && rb.reason instanceof StaleConversationError).toBe(true);
    // When a resident's turn resolves, its message and reply are already readable from another connection.
    expect(seen.a).toEqual(["居住证怎么续签", "答复：居住证怎么续签"]);
    expect(seen.c).toEqual(["孩子怎么上学", "答复：孩子怎么上学"]);
    // The stale turn left nothing behind, not even its inbound message.
    expect(await storedTexts(b.residentId)).toEqual([]);
  });

  it("keeps working after a failed batch member: the next turn of that resident commits", async () => {
    const now = 1_800_000_100_000;
    const b = await store.snapshot("api", "resident-b", now);
    await store.commit(turn(b, "resident-b", "社保怎么转移", now));
    expect(await storedTexts(b.residentId)).toEqual(["社保怎么转移", "答复：社保怎么转移"]);
  });
});
