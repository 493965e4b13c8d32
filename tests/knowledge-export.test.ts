import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentHash, contentOf } from "../src/knowledge/content.ts";
import { exportEntry } from "../src/knowledge/export.ts";
import { defaultKnowledgeDir, readEntries, readNational } from "../src/knowledge/index.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { bearer, staffToken } from "./helpers/staff.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const WAGE = "labor.wage-arrears";

describe("knowledge:export file format", () => {
  it("gives every file in knowledge/ back byte for byte when nothing changed", () => {
    const national = readNational(defaultKnowledgeDir);
    const entries = readEntries(defaultKnowledgeDir, national);
    for (const entry of entries) {
      const text = readFileSync(join(defaultKnowledgeDir, `${entry.id}.md`), "utf8");
      expect(exportEntry(contentOf(entry), text), entry.id).toBe(text);
    }
  });
});

describe("git stays a source", () => {
  let dir: string;
  let t: TestApp;
  let editor: string;
  const lines: string[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
  const versionsOf = async (id: string) =>
    await t.sql.all<{ version: number; action: string }>(
      `SELECT version, action FROM "KnowledgeVersion" WHERE entryId = ? ORDER BY version`,
      id,
    );
  /** A restart of the service on the same database and folder. */
  const restart = async () => {
    const next = await createTestApp(
      {},
      { databaseUrl: t.databaseUrl, dir: t.dir, now: t.clock.now(), knowledgeDir: dir, logger },
    );
    await t.close();
    t = next;
    editor = await staffToken(t, "editor");
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "yongju-knowledge-"));
    cpSync(defaultKnowledgeDir, dir, { recursive: true });
    t = await createTestApp(
      {},
      { now: "2026-12-01T10:00:00+08:00", knowledgeDir: dir, logger, dir: mkdtempSync(join(tmpdir(), "yongju-data-")) },
    );
    editor = await staffToken(t, "editor");
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("seeds a fresh database from the files and says so", async () => {
    expect(await versionsOf(WAGE)).toEqual([{ version: 1, action: "seed" }]);
    expect(lines.some((l) => l.includes("seeded the database from knowledge/*.md"))).toBe(true);
  });

  it("exports a staff edit back to the file, and importing the export changes nothing", async () => {
    const res = await t.app.inject({
      method: "PATCH",
      url: `/api/v1/staff/knowledge/${WAGE}`,
      headers: bearer(editor),
      payload: { baseVersion: 1, configurable: { hotline: "0574-87000123" }, addExamples: ["工钱拖了三个月"] },
    });
    expect(res.statusCode).toBe(200);
    const before = readFileSync(join(dir, `${WAGE}.md`), "utf8");
    const others = readdirSync(dir)
      .filter((f) => f !== `${WAGE}.md`)
      .map((f) => [f, readFileSync(join(dir, f), "utf8")] as const);

    // The real command, as an operator runs it against the same database.
    const { stdout } = await run(process.execPath, ["--import", "tsx", join(root, "scripts/knowledge-export.ts"), "--dir", dir], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        DATABASE_URL: t.databaseUrl,
        DATA_DIR: t.dir,
        LOG_LEVEL: "silent",
      },
    });
    expect(stdout).toContain(`wrote 1 file(s)`);
    const after = readFileSync(join(dir, `${WAGE}.md`), "utf8");
    // Only what staff changed differs: the value, the new example, the review date.
    const changed = after.split("\n").filter((l) => !before.split("\n").includes(l));
    expect(changed.map((l) => l.trim())).toEqual(expect.arrayContaining(["value: 0574-87000123", "- 工钱拖了三个月"]));
    expect(changed.length).toBeLessThanOrEqual(3);
    for (const [f, text] of others) expect(readFileSync(join(dir, f), "utf8"), f).toBe(text);
    // The file says exactly what is published.
    const published = JSON.parse(
      (await t.sql.get<{ content: string }>(`SELECT content FROM "KnowledgeEntry" WHERE id = ?`, WAGE))!.content,
    );
    const file = readEntries(dir).find((e) => e.id === WAGE)!;
    expect(contentHash(file)).toBe(contentHash(published));

    // Import (a restart reads the folder): no new version of anything.
    const count = await t.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM "KnowledgeVersion"`);
    await restart();
    expect(await t.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM "KnowledgeVersion"`)).toEqual(count);
    expect((await t.say("r-1", "工资被拖欠了打什么电话投诉")).replies[0]!.text).toContain("0574-87000123");
  });

  it("imports a file changed in git when staff have not published the entry since", async () => {
    const file = join(dir, "legal.aid.md");
    writeFileSync(file, readFileSync(file, "utf8").replace(/^title: .*$/m, "title: 法律援助申请"));
    await restart();
    expect((await versionsOf("legal.aid")).at(-1)).toEqual({ version: 2, action: "import" });
    const entry = await t.app.inject({ method: "GET", url: "/api/v1/staff/knowledge/legal.aid", headers: bearer(editor) });
    expect(entry.json().title).toBe("法律援助申请");
    const audit = await t.sql.get<{ detail: string }>(`SELECT detail FROM "AuditLog" WHERE action = 'knowledge.import'`);
    expect(audit?.detail).toContain("legal.aid");
  });

  it("keeps the staff version when both the file and staff changed an entry, and warns naming it", async () => {
    const res = await t.app.inject({
      method: "PATCH",
      url: `/api/v1/staff/knowledge/${WAGE}`,
      headers: bearer(editor),
      payload: { baseVersion: 2, configurable: { hotline: "0574-87000456" } },
    });
    expect(res.statusCode).toBe(200);
    const file = join(dir, `${WAGE}.md`);
    writeFileSync(file, readFileSync(file, "utf8").replace("0574-87000123", "0574-87000789"));
    lines.length = 0;
    await restart();
    expect((await versionsOf(WAGE)).map((v) => v.version)).toEqual([1, 2, 3]);
    expect((await t.say("r-2", "工资被拖欠了打什么电话投诉")).replies[0]!.text).toContain("0574-87000456");
    const warning = lines
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .find((l) => l.msg.includes("staff version stays"));
    expect(warning?.level).toBe(40);
    expect(warning?.msg).toContain(WAGE);
  });

  it("publishes a new file as a new entry", async () => {
    const source = readFileSync(join(dir, "legal.aid.md"), "utf8");
    writeFileSync(
      join(dir, "legal.aid-copy.md"),
      source.replace(/^id: .*$/m, "id: legal.aid-copy").replace(/^title: .*$/m, "title: 法律援助（副本）"),
    );
    await restart();
    expect(await versionsOf("legal.aid-copy")).toEqual([{ version: 1, action: "import" }]);
  });
});
