/**
 * Permit files as offices really send them: GBK from Chinese office software, UTF-8 with or
 * without a BOM, UTF-16 from Excel's "Unicode text", files that mix encodings, and permit
 * numbers given twice. Through importPermitCsv and through `npm run import:permits`.
 */
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsvEncodingError, detectCsvEncoding, importPermitCsv } from "../../src/reminders/import.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";

const run = promisify(execFile);
const HEADER = "channel,userId,permitNumber,holderName,endorseBy";

/** GBK bytes for Chinese text, from the decoder's own table (Node has no GBK encoder). */
const gbkTable = (() => {
  const decoder = new TextDecoder("gb18030");
  const table = new Map<string, Buffer>();
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      const bytes = Buffer.from([lead, trail]);
      const ch = decoder.decode(bytes);
      if (ch.length === 1 && !table.has(ch)) table.set(ch, bytes);
    }
  }
  return table;
})();
const gbk = (text: string) =>
  Buffer.concat([...text].map((ch) => (ch.charCodeAt(0) < 0x80 ? Buffer.from(ch) : (gbkTable.get(ch) ?? Buffer.from("?")))));

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const file = (name: string, content: string | Buffer) => {
  const path = join(t.dir, name);
  writeFileSync(path, content);
  return path;
};
const holder = async (permitNumber: string) =>
  (await t.sql.get<{ holderName: string; endorseBy: string }>(
    `SELECT holderName, endorseBy FROM "Permit" WHERE permitNumber = ?`,
    permitNumber,
  )) ?? null;

describe("permit file encodings", () => {
  it("decodes a GBK file (what Chinese office software exports) into the right names", async () => {
    const text = [
      HEADER,
      "api,g-1,GBK-0001,张三,2026-05-01",
      'api,g-2,GBK-0002,"欧阳, 小明",2026-05-02',
      "api,g-3,GBK-0003,李四,2026-05-03",
    ].join("\r\n");
    const bytes = gbk(text);
    expect(new TextDecoder("gb18030").decode(bytes)).toBe(text); // the fixture really is GBK
    expect(() => new TextDecoder("utf-8", { fatal: true }).decode(bytes)).toThrow(); // …and not UTF-8
    const path = file("gbk.csv", bytes);
    expect(await detectCsvEncoding(path)).toBe("gb18030");
    const summary = await importPermitCsv(t.ctx.store.permits, path, t.clock.now());
    expect(summary).toMatchObject({ encoding: "gb18030", rows: 3, upserted: 3, rejectedCount: 0 });
    expect(await holder("GBK-0001")).toEqual({ holderName: "张三", endorseBy: "2026-05-01" });
    expect((await holder("GBK-0002"))?.holderName).toBe("欧阳, 小明");
  });

  it("reads UTF-8 with and without a BOM, and UTF-16 with one", async () => {
    const text = (n: string) => [HEADER, `api,u-${n},UTF-${n},王五,2026-06-01`].join("\n");
    const cases: [string, Buffer, string][] = [
      ["plain", Buffer.from(text("0001")), "utf-8"],
      ["bom", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text("0002"))]), "utf-8"],
      ["utf16", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text("0003"), "utf16le")]), "utf-16le"],
    ];
    for (const [name, bytes, encoding] of cases) {
      const summary = await importPermitCsv(t.ctx.store.permits, file(`${name}.csv`, bytes), t.clock.now());
      expect(summary, name).toMatchObject({ encoding, rows: 1, upserted: 1, rejectedCount: 0 });
    }
    for (const n of ["0001", "0002", "0003"]) expect((await holder(`UTF-${n}`))?.holderName).toBe("王五");
  });

  it("refuses a file that mixes encodings or is neither, naming the line and the encoding to use, importing nothing", async () => {
    const mixed = Buffer.concat([
      Buffer.from(`${HEADER}\napi,m-1,MIX-0001,张三,2026-05-01\n`),
      gbk("api,m-2,MIX-0002,李四,2026-05-02\n"),
    ]);
    const err = await importPermitCsv(t.ctx.store.permits, file("mixed.csv", mixed), t.clock.now()).catch((e) => e);
    expect(err).toBeInstanceOf(CsvEncodingError);
    expect(err.message).toContain("line 3 is not UTF-8");
    expect(err.message).toContain("UTF-8");
    expect(await holder("MIX-0001")).toBeNull();

    const junk = Buffer.concat([
      Buffer.from(`${HEADER}\napi,j-1,JUNK-0001,`),
      Buffer.from([0xff, 0xff, 0x80]),
      Buffer.from(",2026-05-01\n"),
    ]);
    const refused = await importPermitCsv(t.ctx.store.permits, file("junk.csv", junk), t.clock.now()).catch((e) => e);
    expect(refused).toBeInstanceOf(CsvEncodingError);
    expect(refused.message).toContain("line 2 is neither UTF-8 nor GBK/GB18030");
    expect(await holder("JUNK-0001")).toBeNull();
  });
});

describe("permit numbers given twice in one file", () => {
  it("are refused on every line that carries them, across batches, and the stored permit is left alone", async () => {
    await importPermitCsv(
      t.ctx.store.permits,
      file("before.csv", `${HEADER}\napi,d-0,DUP-0001,原持有人,2026-07-01\n`),
      t.clock.now(),
    );
    const lines = [HEADER];
    for (let i = 1; i <= 60; i++) lines.push(`api,d-${i},ROW-${String(i).padStart(4, "0")},居民${i},2026-07-01`);
    lines[3] = "api,d-x,DUP-0001,冒名者,2026-08-01"; // line 4
    lines[50] = "api,d-y,DUP-0001,另一个人,2026-09-01"; // line 51, batches later
    lines[20] = "api,d-z,DUP-0002,赵六,2026/07/01"; // line 21: bad date and repeated
    lines[30] = "api,d-w,DUP-0002,赵六,2026-07-01"; // line 31
    const rejected: number[] = [];
    const summary = await importPermitCsv(t.ctx.store.permits, file("dups.csv", lines.join("\n")), t.clock.now(), {
      batchSize: 10,
      onRejected: (r) => rejected.push(r.index),
    });
    expect(summary).toMatchObject({ rows: 60, upserted: 56, rejectedCount: 4, duplicateLines: 4 });
    expect(rejected).toEqual([4, 21, 31, 51]);
    expect(summary.rejected[0]?.errors[0]).toBe("permitNumber DUP-0001 appears on 2 lines (4, 51): none of them was imported");
    expect(summary.rejected[1]?.errors.join("; ")).toMatch(/DUP-0002 appears on 2 lines \(21, 31\).*YYYY-MM-DD/);
    // Nobody's permit moved to another person.
    expect(await holder("DUP-0001")).toEqual({ holderName: "原持有人", endorseBy: "2026-07-01" });
    expect(await holder("DUP-0002")).toBeNull();
    expect(await holder("ROW-0060")).not.toBeNull();
  });
});

describe("npm run import:permits", () => {
  const cli = (args: string[]) =>
    run("npx", ["tsx", "scripts/import-permits.ts", ...args], {
      env: { ...process.env, DATABASE_URL: t.databaseUrl, DATA_DIR: t.dir, LOG_LEVEL: "silent" },
    }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it("says what was and was not imported, lists every refused line in --report, and exits as documented", {
    timeout: 60_000,
  }, async () => {
    const gbkFile = file("cli-gbk.csv", gbk(`${HEADER}\r\napi,c-1,CLI-GBK-1,钱九,2026-10-01\r\n`));
    const ok = await cli([gbkFile]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("encoding:  gb18030");
    expect(ok.stdout).toContain("every row was imported");
    expect((await holder("CLI-GBK-1"))?.holderName).toBe("钱九");

    const dups = file(
      "cli-dups.csv",
      `${HEADER}\napi,c-2,CLI-D-1,甲,2026-10-01\napi,c-3,CLI-D-1,乙,2026-10-02\napi,c-4,CLI-OK-1,丙,2026-10-03\n`,
    );
    const report = join(t.dir, "refused.csv");
    const some = await cli([dups, "--report", report]);
    expect(some.code).toBe(2);
    expect(some.stdout).toContain("rejected:  2 (2 of them repeat a permit number)");
    expect(some.stdout).toContain("line 2: permitNumber CLI-D-1 appears on 2 lines (2, 3): none of them was imported");
    expect(some.stdout).toContain("the rows not listed as rejected were imported");
    expect(readFileSync(report, "utf8").split("\n").slice(0, 3)).toEqual([
      "\uFEFFline,permitNumber,reasons",
      '2,CLI-D-1,"permitNumber CLI-D-1 appears on 2 lines (2, 3): none of them was imported"',
      '3,CLI-D-1,"permitNumber CLI-D-1 appears on 2 lines (2, 3): none of them was imported"',
    ]);

    const mixed = file(
      "cli-mixed.csv",
      Buffer.concat([Buffer.from(`${HEADER}\napi,c-5,CLI-M-1,张三,2026-10-01\n`), gbk("api,c-6,CLI-M-2,李四,2026-10-02\n")]),
    );
    const refused = await cli([mixed]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("line 3 is not UTF-8");
    expect(refused.stderr).toContain("CSV UTF-8");
    expect(refused.stderr).toContain("nothing was imported");
    expect(await holder("CLI-M-1")).toBeNull();
  });
});
