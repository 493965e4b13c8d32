/**
 * The service as operators run it: `src/server.ts` in its own Node process, killed for real
 * (SIGKILL) when a test needs a crash. Plus a webhook receiver for the api channel.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ADMIN_PASSWORD, API_TOKEN } from "./app.ts";

const root = join(import.meta.dirname, "../..");

export interface ServiceProcess {
  port: number;
  url: string;
  child: ChildProcess;
  /** stdout and stderr so far (JSON log lines), for failure messages. */
  output(): string;
  /** Resolves when the process has exited, with its exit code or signal. */
  exited: Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<string>;
}

/** Starts `npm start`'s entry point with `env` on a free port; resolves once it logged "ready". */
export async function startService(env: Record<string, string>, timeoutMs = 60_000): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "src/server.ts")], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      TZ: "Asia/Shanghai",
      API_TOKEN,
      REMINDER_QUIET_HOURS: "",
      STAFF_ADMIN_USERNAME: "admin",
      STAFF_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<string>((resolve) => child.on("exit", (code, signal) => resolve(signal ?? String(code))));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`service did not start within ${timeoutMs} ms:\n${out.slice(-3000)}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.includes("is ready at"));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`service exited (${how}) before it was ready:\n${out.slice(-3000)}`));
    });
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    exited,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** POST /api/v1/messages to one instance. */
export async function sendMessage(
  service: { url: string },
  userId: string,
  text: string,
  messageId?: string,
): Promise<{ status: number; body: { replies?: { text: string; intent: string }[]; conversationId?: string } }> {
  const res = await fetch(`${service.url}/api/v1/messages`, {
    method: "POST",
    headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ channel: "api", userId, text, ...(messageId ? { messageId } : {}) }),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: (await res.json()) as never };
}

/** Signs in as the configured first admin; returns headers for staff API calls. */
export async function adminHeaders(service: { url: string }): Promise<Record<string, string>> {
  const res = await fetch(`${service.url}/api/v1/staff/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`admin login: HTTP ${res.status} ${await res.text()}`);
  return { authorization: `Bearer ${((await res.json()) as { token: string }).token}`, "content-type": "application/json" };
}

export interface WebhookDelivery {
  id: string;
  userId: string;
  text: string;
  kind: string;
}

/** An API_WEBHOOK_URL receiver that records every POST (retries included). */
export async function startWebhook(opts: { delayMs?: number } = {}): Promise<{
  url: string;
  received: WebhookDelivery[];
  close(): Promise<void>;
}> {
  const received: WebhookDelivery[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      const done = () => {
        try {
          received.push(JSON.parse(body) as WebhookDelivery);
          res.writeHead(200).end("{}");
        } catch {
          res.writeHead(400).end();
        }
      };
      if (opts.delayMs) setTimeout(done, opts.delayMs);
      else done();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `check` until it returns a truthy value or the time runs out. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 30_000,
  everyMs = 200,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
