import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { ConfigError, envSchema, loadConfig } from "../../src/config/config.ts";

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
    // Generated secrets and the WeChat session live next to the SQLite file.
    expect(config.dataDir).toBe(join(process.cwd(), "data"));
    expect(config.DATABASE_POOL_SIZE).toBe(10);
    expect(config.METRICS_TOKEN).toBeUndefined();
    expect(config.TZ).toBe("Asia/Shanghai");
    expect(config.REMINDER_QUIET_HOURS).toEqual({ from: "21:00", to: "08:00" });
    expect(config.apiChannelEnabled).toBe(false);
    expect(config.llmEnabled).toBe(false);
  });

  it("takes a SQLite file anywhere, and keeps its data directory next to it", () => {
    expect(loadConfig({ DATABASE_URL: "file:/srv/yongju/app.db" }).dataDir).toBe("/srv/yongju");
    expect(loadConfig({ DATABASE_URL: "file:/srv/yongju/app.db", DATA_DIR: "/var/lib/yongju" }).dataDir).toBe("/var/lib/yongju");
  });

  it("accepts a PostgreSQL URL, with its pool size, a data directory and a metrics token", () => {
    const url = "postgresql://app:secret@db.internal:5432/yongju";
    const config = loadConfig({
      DATABASE_URL: url,
      DATABASE_POOL_SIZE: "25",
      DATA_DIR: "/var/lib/yongju",
      METRICS_TOKEN: "scrape-me",
    });
    expect(config.DATABASE_URL).toBe(url);
    expect(config.DATABASE_POOL_SIZE).toBe(25);
    expect(config.dataDir).toBe("/var/lib/yongju");
    expect(config.METRICS_TOKEN).toBe("scrape-me");
    // The short scheme works too; without DATA_DIR the data directory is ./data.
    const short = loadConfig({ DATABASE_URL: "postgres://app@localhost/yongju" });
    expect(short.DATABASE_URL).toBe("postgres://app@localhost/yongju");
    expect(short.dataDir).toBe(join(process.cwd(), "data"));
  });

  it("treats empty strings as missing", () => {
    const config = loadConfig({
      PORT: "",
      API_TOKEN: "",
      OPENAI_API_KEY: " ",
      WECHATY_PUPPET: "",
      DATA_DIR: "",
      DATABASE_POOL_SIZE: "",
      METRICS_TOKEN: "",
    });
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_POOL_SIZE).toBe(10);
    expect(config.METRICS_TOKEN).toBeUndefined();
    expect(config.dataDir).toBe(join(process.cwd(), "data"));
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
    ["DATABASE_URL", { DATABASE_URL: "mysql://localhost/db" }],
    ["DATABASE_URL", { DATABASE_URL: "postgresql://" }],
    ["DATABASE_URL", { DATABASE_URL: "./data/app.db" }],
    ["DATABASE_POOL_SIZE", { DATABASE_POOL_SIZE: "0" }],
    ["DATABASE_POOL_SIZE", { DATABASE_POOL_SIZE: "many" }],
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

  it(".env.example names every variable the service reads", () => {
    const example = readFileSync(join(import.meta.dirname, "../../.env.example"), "utf8");
    const named = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect(Object.keys(envSchema.shape).filter((key) => !named.has(key))).toEqual([]);
  });
});
