import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/lib/logger.ts";
import { redactPersonalData } from "../../src/lib/text.ts";

describe("log redaction", () => {
  it("masks ID numbers and phone numbers in free text", () => {
    expect(redactPersonalData("身份证330203199001011234，电话13812345678")).toBe("身份证330203********1234，电话138****5678");
  });

  it("never writes ID numbers, phones or tokens to the log", () => {
    const lines: string[] = [];
    const log = createLogger("info", { write: (chunk: string) => void lines.push(chunk) });
    log.info(
      { token: "secret-token", req: { headers: { authorization: "Bearer abc" } } },
      "resident said 330203199001011234 and 13812345678",
    );
    log.info({ detail: { text: "我的身份证是330203199001011234" }, phone: "13900000000" }, "turn");
    const out = lines.join("\n");
    expect(lines).toHaveLength(2);
    expect(out).not.toContain("330203199001011234");
    expect(out).not.toContain("13812345678");
    expect(out).not.toContain("13900000000");
    expect(out).not.toContain("secret-token");
    expect(out).not.toContain("Bearer abc");
    expect(out).toContain("330203********1234");
  });
});
