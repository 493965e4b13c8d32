/**
 * The sample nginx configuration (`deploy/nginx.conf`) in front of two real instances on one
 * database, as an operator runs it: nginx from Debian's package, the sample file itself with only
 * the instances' ports, the listen address and the log path swapped in, inside a minimal main
 * configuration like Debian's (which includes conf.d/*.conf in its http block). nginx runs in
 * the foreground in a temp prefix, so the test needs no root and touches nothing in /etc.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, API_TOKEN } from "../helpers/app.ts";
import { freshDatabaseUrl, onPostgres, type SqlProbe, sqlProbe } from "../helpers/database.ts";
import { adminHeaders, eventually, type ServiceProcess, startService } from "../helpers/processes.ts";

const NGINX = "/usr/sbin/nginx";
const samplePath = join(import.meta.dirname, "../../deploy/nginx.conf");

/**
 * The sample with a test's addresses: its upstream `server 127.0.0.1:…` lines become one line
 * per instance (keeping the sample's parameters), its `listen` lines one loopback listener, its
 * access log a file in the prefix. Throws when the sample no longer has what it replaces.
 */
function renderSample(text: string, o: { upstreams: number[]; listen: number; accessLog: string }): string {
  let servers = 0;
  let listens = 0;
  let logs = 0;
  const out = text
    .replace(/^(\s*)server 127\.0\.0\.1:\d+((?: [^;\n]*)?);\n/gm, (_, indent: string, params: string) =>
      servers++ === 0 ? o.upstreams.map((port) => `${indent}server 127.0.0.1:${port}${params};\n`).join("") : "",
    )
    .replace(/^(\s*)listen [^;\n]+;\n/gm, (_, indent: string) =>
      listens++ === 0 ? `${indent}listen 127.0.0.1:${o.listen};\n` : "",
    )
    .replace(/^(\s*)access_log \S+ yongju;/gm, (_, indent: string) => {
      logs++;
      return `${indent}access_log ${o.accessLog} yongju;`;
    });
  if (servers === 0 || listens === 0 || logs !== 1) {
    throw new Error(`deploy/nginx.conf changed shape (upstream servers ${servers}, listen ${listens}, access_log ${logs})`);
  }
  return out;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Nginx {
  url: string;
  port: number;
  prefix: string;
  stop(): Promise<void>;
}

async function startNginx(upstreams: number[]): Promise<Nginx> {
  const prefix = mkdtempSync(join(tmpdir(), "yongju-nginx-"));
  // Run as root (CI), nginx's workers drop to `nobody`: they must be able to enter the prefix.
  chmodSync(prefix, 0o755);
  mkdirSync(join(prefix, "temp"));
  const port = await freePort();
  const site = renderSample(readFileSync(samplePath, "utf8"), {
    upstreams,
    listen: port,
    accessLog: join(prefix, "access.log"),
  });
  writeFileSync(join(prefix, "yongju.conf"), site);
  // What Debian's /etc/nginx/nginx.conf provides around conf.d/*.conf (gzip on included), with
  // every temp path inside the prefix instead of /var/lib/nginx.
  const temp = (name: string) => join(prefix, "temp", name);
  writeFileSync(
    join(prefix, "nginx.conf"),
    `worker_processes 2;
events { worker_connections 1024; }
http {
  client_body_temp_path ${temp("body")};
  proxy_temp_path ${temp("proxy")};
  fastcgi_temp_path ${temp("fastcgi")};
  uwsgi_temp_path ${temp("uwsgi")};
  scgi_temp_path ${temp("scgi")};
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  gzip on;
  include ${join(prefix, "yongju.conf")};
}
`,
  );
  const child: ChildProcess = spawn(
    NGINX,
    ["-p", `${prefix}/`, "-e", "stderr", "-c", join(prefix, "nginx.conf"), "-g", `daemon off; pid ${join(prefix, "nginx.pid")};`],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}):\n${out}`);
        return (await fetch(`${url}/healthz`).catch(() => null))?.status === 200;
      },
      30_000,
      100,
    );
  } catch (err) {
    child.kill("SIGKILL");
    rmSync(prefix, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    port,
    prefix,
    async stop() {
      // SIGTERM: fast shutdown (SIGQUIT would wait for the open event streams).
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/** GET through nginx from another loopback address, which the /metrics allow list leaves out. */
function getFrom(localAddress: string, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

/** An open /chat/events stream: collects everything it receives until closed or ended. */
async function openEvents(url: string, cookie: string) {
  const controller = new AbortController();
  const res = await fetch(`${url}/chat/events`, { headers: { cookie }, signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  expect(res.headers.get("content-encoding")).toBeNull();
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      // aborted by the test
    }
  })();
  // The first bytes ("retry: …") come once the instance holds the stream and listens for wakes.
  await eventually(() => text.includes("retry:"), 10_000, 20);
  return {
    wakes: () => text.split("event: wake").length - 1,
    ended,
    close: () => controller.abort(),
  };
}

/** This instance's answered turns on the api channel, from its own /metrics. */
async function apiTurns(service: ServiceProcess): Promise<{ instance: string; answered: number }> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  let answered = 0;
  let instance = "";
  for (const m of text.matchAll(/^yongju_turns_total\{([^}]*)\} (\d+)$/gm)) {
    const labels = m[1] ?? "";
    instance = /instance_id="([^"]+)"/.exec(labels)?.[1] ?? instance;
    if (labels.includes('channel="api"') && labels.includes('result="answered"')) answered += Number(m[2]);
  }
  return { instance, answered };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// nginx comes from Debian's package (.ci/run installs it); on a machine without it there is
// nothing to run this against, so the file is skipped there rather than failing.
describe.runIf(existsSync(NGINX))("two instances behind the sample nginx configuration", { timeout: 240_000 }, () => {
  let dir: string;
  let sql: SqlProbe;
  let services: [ServiceProcess, ServiceProcess];
  let nginx: Nginx;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "yongju-nginx-db-"));
    const databaseUrl = await freshDatabaseUrl(dir);
    sql = sqlProbe(databaseUrl);
    // One database and one DATA_DIR (shared secrets.json: the cookie signing secret).
    // TRUST_PROXY: nginx's address, as the sample says; its X-Forwarded-For is then believed.
    const env = { DATABASE_URL: databaseUrl, DATA_DIR: dir, RATE_LIMIT_PER_MINUTE: "100000", TRUST_PROXY: "127.0.0.1" };
    services = (await Promise.all([startService(env), startService(env)])) as [ServiceProcess, ServiceProcess];
    nginx = await startNginx(services.map((s) => s.port));
  }, 180_000);

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all((services ?? []).map((s) => s.kill()));
    await sql?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${nginx.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  const apiHeaders = { authorization: `Bearer ${API_TOKEN}` };
  /** GET / through nginx, as a browser opens the chat: returns the session cookie it set. */
  const openChatPage = async (): Promise<string> => {
    const page = await fetch(`${nginx.url}/`);
    expect(page.status).toBe(200);
    const cookie = /yj_sid=[^;]+/.exec(page.headers.get("set-cookie") ?? "")?.[0];
    if (!cookie) throw new Error(`GET / set no yj_sid cookie: ${page.headers.get("set-cookie")}`);
    return cookie;
  };

  it("spreads residents' messages over both instances and stores each once", async () => {
    const residents = Array.from({ length: 6 }, (_, i) => `edge-${i}`);
    const questions = ["你好", "居住证怎么办", "社保怎么交", "谢谢"];
    await Promise.all(
      residents.map(async (user) => {
        for (const [i, text] of questions.entries()) {
          const res = await post(
            "/api/v1/messages",
            { channel: "api", userId: user, text, messageId: `${user}-${i}` },
            apiHeaders,
          );
          expect(res.status).toBe(200);
          expect(((await res.json()) as { replies: unknown[] }).replies.length).toBeGreaterThan(0);
        }
      }),
    );
    // Each instance's own /metrics (scraped directly, as Prometheus does): both answered.
    const counts = await Promise.all(services.map(apiTurns));
    expect(new Set(counts.map((c) => c.instance)).size).toBe(2);
    for (const c of counts) expect(c.answered, JSON.stringify(counts)).toBeGreaterThan(0);
    expect(counts[0]!.answered + counts[1]!.answered).toBe(residents.length * questions.length);
    const stored = await sql.all<{ channelUserId: string; n: number }>(
      `SELECT r.channelUserId, count(*) AS n FROM "Message" m JOIN "Resident" r ON r.id = m.residentId
       WHERE m.direction = 'in' AND r.channelUserId LIKE 'edge-%' GROUP BY r.channelUserId ORDER BY r.channelUserId`,
    );
    expect(stored).toEqual(residents.map((channelUserId) => ({ channelUserId, n: questions.length })));
  });

  it("passes the client's address from nginx, not one the client made up", async () => {
    const res = await post(
      "/api/v1/staff/login",
      { username: "admin", password: ADMIN_PASSWORD },
      { "x-forwarded-for": "203.0.113.7" },
    );
    expect(res.status).toBe(200);
    const last = async () =>
      (await sql.get<{ detail: string }>(`SELECT detail FROM "AuditLog" WHERE action = 'staff.login' ORDER BY id DESC`))?.detail;
    expect(await last()).toBe("127.0.0.1");
    // From another address, through nginx: the instance records that address (nginx is trusted),
    // not nginx's own and not what the client wrote.
    const status = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ username: "admin", password: ADMIN_PASSWORD });
      const req = request(
        `${nginx.url}/api/v1/staff/login`,
        {
          method: "POST",
          localAddress: "127.0.0.2",
          headers: {
            "content-type": "application/json",
            "x-forwarded-for": "203.0.113.8",
            "content-length": Buffer.byteLength(body),
          },
        },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    expect(status).toBe(200);
    expect(await last()).toBe("127.0.0.2");
  });

  it("serves /metrics to loopback only and answers an oversized body with the service's JSON error", async () => {
    expect(await getFrom("127.0.0.1", `${nginx.url}/metrics`)).toBe(200);
    // 127.0.0.2 is loopback too, but not in the allow list: it stands for any outside address.
    expect(await getFrom("127.0.0.2", `${nginx.url}/metrics`)).toBe(403);
    expect(await getFrom("127.0.0.2", `${nginx.url}/healthz`)).toBe(200);

    const big = await fetch(`${nginx.url}/api/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", ...apiHeaders },
      body: JSON.stringify({ channel: "api", userId: "big", text: "x".repeat(9 * 1024 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ error: { code: "payload_too_large", message: "The request body is too large." } });
  });

  it("wakes a web-chat page on either instance when staff reply, and shows the reply", async () => {
    const cookie = await openChatPage();
    const asked = await post("/chat/messages", { text: "转人工", messageId: "web-1" }, { cookie });
    expect(asked.status).toBe(200);
    const handed = (await asked.json()) as { handoff: boolean; conversationId: string };
    expect(handed.handoff).toBe(true);

    // Two open tabs. least_conn puts the second on the instance without a stream: one each.
    const streams = [await openEvents(nginx.url, cookie), await openEvents(nginx.url, cookie)];
    // (Each instance's log arrives through a pipe: give the line a moment to come through.)
    await eventually(() => services.every((s) => s.output().includes('"url":"/chat/events"')), 5_000, 50).catch(() => undefined);
    for (const s of services) expect(s.output()).toContain('"url":"/chat/events"');
    // A late wake-up from the resident's own message must not count as the staff reply's.
    await sleep(1000);
    const before = streams.map((s) => s.wakes());

    const staff = await adminHeaders(nginx);
    const reply = await post(
      `/api/v1/staff/conversations/${handed.conversationId}/messages`,
      { text: "您好，我是工作人员小李。" },
      staff,
    );
    expect(reply.status).toBe(200);
    const woken = () => streams.filter((s, i) => s.wakes() > before[i]!).length;
    if (onPostgres) {
      // Both streams are woken (LISTEN/NOTIFY), whichever instance holds each and whichever
      // instance delivered the reply.
      await eventually(() => woken() === 2, 30_000, 50);
    } else {
      // On SQLite the wake-up is an in-process event: only the stream on the instance that
      // delivered the reply is woken; the other tab finds the reply with its 15-second poll of
      // /chat/history (checked below). A known limit of several processes on one SQLite file.
      await eventually(() => woken() >= 1, 30_000, 50);
    }
    for (const s of streams) s.close();

    const history = (await (await fetch(`${nginx.url}/chat/history?after=0`, { headers: { cookie } })).json()) as {
      messages: { author: string; text: string }[];
      handoff: boolean;
    };
    expect(history.messages.at(-1)).toMatchObject({ author: "staff", text: "您好，我是工作人员小李。" });
    expect(history.handoff).toBe(true);
  });

  it("keeps answering through nginx when an instance is killed", async () => {
    const [survivor, victim] = services;
    // A web-chat tab whose stream sits on the instance about to die (opened directly: which
    // instance nginx picks is nginx's business) and one through nginx.
    const cookie = await openChatPage();
    const asked = await post("/chat/messages", { text: "转人工", messageId: "kill-web-1" }, { cookie });
    const { conversationId } = (await asked.json()) as { conversationId: string };
    const doomed = await openEvents(victim.url, cookie);

    // Residents keep writing while the instance dies. A message the dead instance had received
    // gets nginx's 503 (it is not re-sent by nginx): the client sends it again with the same
    // messageId, as the contract says, and it is answered once.
    const residents = Array.from({ length: 6 }, (_, i) => `kill-${i}`);
    const questions = ["你好", "居住证怎么办", "谢谢", "社保怎么交", "积分怎么算", "好的", "孩子上学", "在吗"];
    let answered = 0;
    let resent = 0;
    const send = async (user: string, text: string, messageId: string) => {
      for (let attempt = 0; ; attempt++) {
        const res = await post("/api/v1/messages", { channel: "api", userId: user, text, messageId }, apiHeaders);
        if (res.status === 200) return res.json();
        const body = await res.text();
        if (res.status !== 503 || attempt >= 10) throw new Error(`HTTP ${res.status} ${body}`);
        resent++;
        await sleep(300);
      }
    };
    const work = Promise.all(
      residents.map(async (user) => {
        for (const [i, text] of questions.entries()) {
          await send(user, text, `${user}-${i}`);
          answered++;
        }
      }),
    );
    await eventually(() => answered >= 12, 60_000, 10);
    await victim.kill("SIGKILL");
    await doomed.ended; // the browser would now reconnect, through nginx, to a live instance
    await work;

    for (const user of residents) {
      const rows = await sql.all<{ text: string }>(
        `SELECT m.text FROM "Message" m JOIN "Resident" r ON r.id = m.residentId
         WHERE r.channelUserId = ? AND m.direction = 'in' ORDER BY m.id`,
        user,
      );
      expect(
        rows.map((r) => r.text),
        `resent ${resent}`,
      ).toEqual(questions);
    }

    // After the kill every kind of request goes straight to the survivor, without a failure.
    for (let i = 0; i < 6; i++) {
      const res = await post(
        "/api/v1/messages",
        { channel: "api", userId: "after-kill", text: "你好", messageId: `after-${i}` },
        apiHeaders,
      );
      expect(res.status).toBe(200);
    }
    const reopened = await openEvents(nginx.url, cookie);
    const staff = await adminHeaders(nginx);
    const reply = await post(`/api/v1/staff/conversations/${conversationId}/messages`, { text: "您好，还在吗？" }, staff);
    expect(reply.status).toBe(200);
    await eventually(() => reopened.wakes() > 0, 30_000, 50);
    reopened.close();
    const history = (await (await fetch(`${nginx.url}/chat/history?after=0`, { headers: { cookie } })).json()) as {
      messages: { author: string; text: string }[];
    };
    expect(history.messages.at(-1)).toMatchObject({ author: "staff", text: "您好，还在吗？" });
    expect((await apiTurns(survivor)).answered).toBeGreaterThan(0);
  });
});
