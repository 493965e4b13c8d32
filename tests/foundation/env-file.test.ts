/**
 * `.env` in the working directory is read at start (the real environment wins), and logs are
 * JSON lines when not on a terminal, readable lines on one.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadDotEnv } from "../../src/config/env-file.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { freshDatabaseUrl } from "../helpers/database.ts";
import { eventually } from "../helpers/processes.ts";

const root = join(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "yongju-dotenv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(".env", () => {
  it("fills in what the environment leaves out, and never overrides it (not even an empty value)", () => {
    const file = join(dir, "unit.env");
    writeFileSync(file, '# comment\nYJ_A=from-file\nYJ_B=from-file\nYJ_C=from-file\nYJ_QUOTED="two words"\n');
    const env: NodeJS.ProcessEnv = process.env;
    env.YJ_A = "from-env";
    env.YJ_C = "";
    try {
      expect(loadDotEnv(file)).toBe(file);
      expect([env.YJ_A, env.YJ_B, env.YJ_C, env.YJ_QUOTED]).toEqual(["from-env", "from-file", "", "two words"]);
      expect(loadDotEnv(join(dir, "missing.env"))).toBeNull();
    } finally {
      for (const k of ["YJ_A", "YJ_B", "YJ_C", "YJ_QUOTED"]) delete env[k];
    }
  });

  it("is read by npm start from its working directory; the real environment wins", { timeout: 90_000 }, async () => {
    const cwd = mkdtempSync(join(dir, "cwd-"));
    const databaseUrl = await freshDatabaseUrl(cwd);
    writeFileSync(
      join(cwd, ".env"),
      [
        "PORT=0",
        "HOST=127.0.0.1",
        `DATABASE_URL=${databaseUrl}`,
        `DATA_DIR=${cwd}`,
        "API_TOKEN=token-from-dotenv-1",
        "STAFF_ADMIN_USERNAME=dotenv-admin",
        "STAFF_ADMIN_PASSWORD=copper-kettle-harbour-5",
        "LOG_LEVEL=info",
      ].join("\n"),
    );
    // Started from another directory, as an operator's service manager does: tsx by its path.
    const tsx = pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href;
    const child = spawn(process.execPath, ["--import", tsx, join(root, "src/server.ts")], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", TZ: "Asia/Shanghai", API_TOKEN: "token-from-env-2" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    try {
      const ready = await eventually(() => out.split("\n").find((l) => l.includes("is ready at")), 60_000, 100).catch(() => {
        throw new Error(out);
      });
      // Not a terminal: JSON lines, naming the file read.
      const line = JSON.parse(ready) as { port: number; envFile: string };
      expect(line.envFile).toBe(join(cwd, ".env"));
      const url = `http://127.0.0.1:${line.port}`;
      const send = (token: string) =>
        fetch(`${url}/api/v1/messages`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ channel: "api", userId: "dotenv-user", text: "你好" }),
        });
      expect((await send("token-from-env-2")).status).toBe(200);
      expect((await send("token-from-dotenv-1")).status).toBe(401);
      // Values only the file gave are in force: the first admin it names can sign in.
      const login = await fetch(`${url}/api/v1/staff/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "dotenv-admin", password: "copper-kettle-harbour-5" }),
      });
      expect(login.status).toBe(200);
      if (databaseUrl.startsWith("file:")) expect(existsSync(databaseUrl.slice("file:".length))).toBe(true);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  });
});

describe("log format", () => {
  const capture = (format: "json" | "pretty") => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger("info", sink, format);
    log.info({ port: 3000, phone: "13812345678" }, "甬居助手 is ready");
    return lines.join("");
  };

  it("is one JSON object per line for machines", () => {
    const json = JSON.parse(capture("json").trim());
    expect(json).toMatchObject({ level: 30, port: 3000, msg: "甬居助手 is ready", phone: "[redacted]" });
  });

  it("is a readable line for a person at a terminal, redacted the same way", () => {
    const text = capture("pretty");
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: 甬居助手 is ready\n/);
    expect(text).toContain("port: 3000");
    expect(text).not.toContain("13812345678");
    expect(() => JSON.parse(text)).toThrow();
  });
});
