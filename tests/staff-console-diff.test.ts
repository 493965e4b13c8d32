import { describe, expect, it } from "vitest";

// The console's own module (a browser ES module, type-checked by the console's tsconfig), run
// here as it is served. Imported by path: the server's tsconfig does not read JavaScript.
const modulePath = "../src/staff/console/lib/diff.js";
const { diffLines, toLines } = (await import(modulePath)) as {
  toLines: (value: unknown) => string[];
  diffLines: (before: string[], after: string[]) => { op: "same" | "add" | "del"; line: string }[];
};

describe("the console's line diff for knowledge versions", () => {
  it("splits Chinese text into sentences and specifics into key: value lines", () => {
    expect(toLines("第一句。第二句！\n第三行")).toEqual(["第一句。", "第二句！", "第三行"]);
    expect(toLines({ hotline: { label: "热线", kind: "phone", value: null } })).toEqual(["hotline: （未填）"]);
    expect(toLines({ where: { text: "到社区。再到街道。" } })).toEqual(["where: 到社区。", "where: 再到街道。"]);
    expect(toLines(["问一", "问二"])).toEqual(["问一", "问二"]);
    expect(toLines(null)).toEqual([]);
  });

  it("keeps common lines and marks what was removed and added", () => {
    expect(diffLines(["a", "b", "c"], ["a", "x", "c", "d"])).toEqual([
      { op: "same", line: "a" },
      { op: "del", line: "b" },
      { op: "add", line: "x" },
      { op: "same", line: "c" },
      { op: "add", line: "d" },
    ]);
    expect(diffLines([], ["n"])).toEqual([{ op: "add", line: "n" }]);
    expect(diffLines(["o"], [])).toEqual([{ op: "del", line: "o" }]);
  });
});
