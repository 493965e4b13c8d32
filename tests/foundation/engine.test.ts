import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createTestApp } from "../helpers/app.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("conversation engine", () => {
  it("processes concurrent messages from one resident in arrival order, never interleaved", async () => {
    const t = await createTestApp();
    try {
      const greetings = ["你好", "您好", "嗨", "哈喽", "在吗", "hello"];
      const thanks = ["谢谢", "多谢", "感谢", "谢了", "thanks", "辛苦了"];
      const texts = Array.from({ length: 12 }, (_, i) => (i % 2 ? thanks[(i - 1) / 2]! : greetings[i / 2]!));
      const results = await Promise.all(texts.map((text, i) => t.say("u-order", text, `order-${i}`)));
      expect(new Set(results.map((r) => r.conversationId)).size).toBe(1);
      const rows = await t.sql.all<{ direction: string; text: string; intent: string }>(
        `SELECT direction, text, intent FROM "Message" WHERE conversationId = ? ORDER BY id`,
        results[0]!.conversationId,
      );
      expect(rows).toHaveLength(texts.length * 2);
      for (let i = 0; i < texts.length; i++) {
        expect(rows[2 * i]).toMatchObject({ direction: "in", text: texts[i] });
        expect(rows[2 * i + 1]!.direction).toBe("out");
        expect(rows[2 * i + 1]!.intent).toBe(i % 2 ? "thanks" : "greeting");
      }
    } finally {
      await t.close();
    }
  });

  it("answers a duplicate delivered concurrently once", async () => {
    const t = await createTestApp();
    try {
      const [a, b, c] = await Promise.all([
        t.say("u-race", "你好", "x"),
        t.say("u-race", "你好", "x"),
        t.say("u-race", "你好", "x"),
      ]);
      expect(b).toEqual(a);
      expect(c).toEqual(a);
      const n = (await t.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM "Message" WHERE direction = 'in'`))!;
      expect(n.n).toBe(1);
    } finally {
      await t.close();
    }
  });

  it("keeps conversations across a restart (new process state, same database)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "yongju-restart-"));
    dirs.push(dir);
    const first = await createTestApp({}, { dir });
    const before = await first.say("u-restart", "你好", "r-1");
    await first.close();

    const second = await createTestApp({}, { dir, databaseUrl: first.databaseUrl });
    try {
      const replay = await second.say("u-restart", "你好", "r-1");
      expect(replay).toEqual(before);
      const after = await second.say("u-restart", "谢谢", "r-2");
      expect(after.conversationId).toBe(before.conversationId);
      const n = (await second.sql.get<{
        n: number;
      }>(`SELECT COUNT(*) AS n FROM "Message" WHERE conversationId = ?`, before.conversationId))!;
      expect(n.n).toBe(4);
    } finally {
      await second.close();
    }
  });

  it("keeps two residents' conversations apart", async () => {
    const t = await createTestApp();
    try {
      const [a, b] = await Promise.all([t.say("u-1", "你好"), t.say("u-2", "你好")]);
      expect(a.conversationId).not.toBe(b.conversationId);
    } finally {
      await t.close();
    }
  });

  it("checks a state it did not write itself: one changed in the database (with its version) or unreadable starts clean", async () => {
    const t = await createTestApp();
    try {
      const first = await t.say("u-state", "我要办居住登记");
      expect(first.awaiting?.type).toBe("consent");
      // Another writer (an instance of an older version, a repair by hand) stores a state the
      // schema refuses, bumping the version as every writer must: the next turn starts clean.
      await t.sql.run(
        `UPDATE "Conversation" SET state = ?, version = version + 1 WHERE id = ?`,
        JSON.stringify({ misunderstood: -3, flow: { id: "address_report", phase: "nowhere" } }),
        first.conversationId,
      );
      const after = await t.say("u-state", "你好");
      expect(after.replies[0]?.intent).toBe("greeting");
      const stored = await t.sql.get<{ state: string }>(`SELECT state FROM "Conversation" WHERE id = ?`, first.conversationId);
      expect(JSON.parse(stored!.state)).not.toHaveProperty("flow");
      // Not JSON at all, even at the version this process wrote: also a clean start, not an error.
      await t.sql.run(`UPDATE "Conversation" SET state = ? WHERE id = ?`, "{not json", first.conversationId);
      expect((await t.say("u-state", "你好")).replies[0]?.intent).toBe("greeting");
    } finally {
      await t.close();
    }
  });

  it("reads the options of a state written before options were kept as plain text", async () => {
    const t = await createTestApp();
    try {
      const first = await t.say("u-old-choices", "你好");
      // As the service stored them until 2026-11-30: { label, say } with the same text twice.
      await t.sql.run(
        `UPDATE "Conversation" SET state = ?, version = version + 1 WHERE id = ?`,
        JSON.stringify({
          misunderstood: 0,
          choices: [
            { label: "我要办居住登记", say: "我要办居住登记" },
            { label: "转人工", say: "转人工" },
          ],
        }),
        first.conversationId,
      );
      const picked = await t.say("u-old-choices", "1");
      expect(picked.replies[0]?.intent).toBe("flow:address_report");
      expect(picked.awaiting?.type).toBe("consent");
      const stored = await t.sql.get<{ state: string }>(`SELECT state FROM "Conversation" WHERE id = ?`, first.conversationId);
      expect(JSON.parse(stored!.state).choices).toEqual(["同意", "不同意"]);
    } finally {
      await t.close();
    }
  });
});
