import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/config.ts";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("configuration", () => {
  it("runs on the contract's defaults with an empty environment", () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.HOST).toBe("127.0.0.1");
    expect(config.DATABASE_URL).toBe("file:./data/app.db");
    expect(config.databasePath.endsWith("/data/app.db")).toBe(true);
    expect(config.TZ).toBe("Asia/Shanghai");
    expect(config.REMINDER_QUIET_HOURS).toEqual({ from: "21:00", to: "08:00" });
    expect(config.apiChannelEnabled).toBe(false);
    expect(config.llmEnabled).toBe(false);
  });

  it("treats empty strings as missing", () => {
    const config = loadConfig({ PORT: "", API_TOKEN: "", OPENAI_API_KEY: " ", WECHATY_PUPPET: "" });
    expect(config.PORT).toBe(3000);
    expect(config.API_TOKEN).toBeUndefined();
    expect(config.WECHATY_PUPPET).toBeUndefined();
  });

  it("allows switching quiet hours off with an explicit empty value", () => {
    expect(loadConfig({ REMINDER_QUIET_HOURS: "" }).REMINDER_QUIET_HOURS).toBeNull();
    expect(loadConfig({ REMINDER_QUIET_HOURS: "22:30-07:00" }).REMINDER_QUIET_HOURS).toEqual({ from: "22:30", to: "07:00" });
  });

  it.each([
    ["PORT", { PORT: "seventy" }],
    ["PORT", { PORT: "70000" }],
    ["DATABASE_URL", { DATABASE_URL: "postgres://localhost/db" }],
    ["API_TOKEN", { API_TOKEN: "short" }],
    ["API_WEBHOOK_URL", { API_WEBHOOK_URL: "not a url" }],
    ["OPENAI_BASE_URL", { OPENAI_BASE_URL: "ftp://example" }],
    ["TZ", { TZ: "Mars/Olympus" }],
    ["REMINDER_QUIET_HOURS", { REMINDER_QUIET_HOURS: "9pm-8am" }],
    ["STAFF_ADMIN_PASSWORD", { STAFF_ADMIN_USERNAME: "admin" }],
    ["STAFF_ADMIN_USERNAME", { STAFF_ADMIN_PASSWORD: "long-enough-password" }],
    ["OPENAI_MODEL", { OPENAI_API_KEY: "sk-test" }],
  ])("names %s when its value is bad", (name, env) => {
    const found = problems(env as Record<string, string>);
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((p) => p.startsWith(`${name}:`))).toBe(true);
  });

  it("enables the api channel and the LLM only when configured", () => {
    const config = loadConfig({ API_TOKEN: "a-long-token", OPENAI_API_KEY: "sk-x", OPENAI_MODEL: "m" });
    expect(config.apiChannelEnabled).toBe(true);
    expect(config.llmEnabled).toBe(true);
  });
});
