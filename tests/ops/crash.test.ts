/**
 * Real crashes: the service as its own process (`src/server.ts`), killed with SIGKILL in the
 * middle of reminder dispatch, a broadcast and guided-flow turns, then started again on the same
 * database. Nothing may be lost and nothing sent twice, except the documented at-least-once
 * redelivery of a webhook message under the same id. And two processes scanning for reminders at
 * the same moment, held apart only by the database's uniqueness guard.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { answerFor, FLOW_TRIGGERS } from "../../bench/lib/flow-driver.ts";
import type { TurnResult } from "../../src/domain/types.ts";
import { API_TOKEN } from "../helpers/app.ts";
import { freshDatabaseUrl, sqlProbe } from "../helpers/database.ts";
import {
  adminHeaders,
  eventually,
  type ServiceProcess,
  startService,
  startWebhook,
  type WebhookDelivery,
} from "../helpers/processes.ts";

const running: ServiceProcess[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.kill()));
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A database and data directory for one test, and a way to (re)start the service on it. */
async function setup(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "yongju-crash-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const databaseUrl = await freshDatabaseUrl(dir);
  const sql = sqlProbe(databaseUrl);
  cleanups.push(() => sql.close());
  const start = async () => {
    const s = await startService({
      DATABASE_URL: databaseUrl,
      DATA_DIR: dir,
      DELIVERY_LEASE_MS: "3000",
      SCHEDULER_LEASE_MS: "3000",
      RATE_LIMIT_PER_MINUTE: "100000",
      ...env,
    });
    running.push(s);
    return s;
  };
  return { sql, start };
}

const count = async (sql: ReturnType<typeof sqlProbe>, where: string) =>
  (await sql.get<{ n: number }>(`SELECT count(*) AS n FROM "Delivery" WHERE ${where}`))?.n ?? 0;

/** Every resident got exactly one message id; repeats of the same id are the documented redelivery. */
function deliveredOnce(received: WebhookDelivery[], kind: string, residents: number) {
  const byResident = new Map<string, Set<string>>();
  for (const d of received) {
    expect(d.kind).toBe(kind);
    byResident.set(d.userId, (byResident.get(d.userId) ?? new Set()).add(d.id));
  }
  expect(byResident.size).toBe(residents);
  expect([...byResident.values()].filter((ids) => ids.size !== 1)).toEqual([]);
}

async function uploadPermits(service: ServiceProcess, headers: Record<string, string>, prefix: string, n: number, days = 5) {
  const endorseBy = new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  const res = await fetch(`${service.url}/api/v1/staff/permits`, {
    method: "POST",
    headers,
    body: JSON.stringify(
      Array.from({ length: n }, (_, i) => ({
        channel: "api",
        userId: `${prefix}-${i}`,
        permitNumber: `${prefix.toUpperCase()}-${String(i).padStart(5, "0")}`,
        holderName: `居民${i}`,
        endorseBy,
      })),
    ),
  });
  expect(res.status).toBe(200);
}

describe("killed with SIGKILL and started again", { timeout: 300_000 }, () => {
  it("during reminder dispatch: every reminder goes out, none twice", async () => {
    const hook = await startWebhook({ delayMs: 10 });
    cleanups.push(() => hook.close());
    const { sql, start } = await setup({ API_WEBHOOK_URL: hook.url });
    const first = await start();
    const staff = await adminHeaders(first);
    await uploadPermits(first, staff, "rem", 300);
    const run = await fetch(`${first.url}/api/v1/staff/reminders/run`, {
      method: "POST",
      headers: { authorization: staff.authorization! },
    });
    expect(((await run.json()) as { queued: number }).queued).toBe(300);
    await eventually(() => hook.received.length >= 60, 60_000, 10);
    await first.kill("SIGKILL");
    const sentBefore = await count(sql, "status = 'sent'");
    expect(sentBefore).toBeLessThan(300);

    await start();
    await eventually(async () => (await count(sql, "status = 'sent'")) === 300, 120_000, 250);
    deliveredOnce(hook.received, "reminder", 300);
    expect(hook.received.length).toBeLessThanOrEqual(300 + 20);
    expect(await count(sql, "status <> 'sent'")).toBe(0);
  });

  it("during a broadcast: every recipient gets it once, and the broadcast finishes", async () => {
    const hook = await startWebhook({ delayMs: 10 });
    cleanups.push(() => hook.close());
    const { sql, start } = await setup({ API_WEBHOOK_URL: hook.url });
    const first = await start();
    const staff = await adminHeaders(first);
    // Residents on the api channel (the permit upload creates them); nobody has a reminder due.
    await uploadPermits(first, staff, "bc", 300, 200);
    const created = await fetch(`${first.url}/api/v1/staff/broadcasts`, {
      method: "POST",
      headers: staff,
      body: JSON.stringify({ text: "【通知】社区服务中心本周六照常开放。", audience: { channel: "api" } }),
    });
    const { id, recipients } = (await created.json()) as { id: string; recipients: number };
    expect(recipients).toBe(300);
    await eventually(() => hook.received.length >= 60, 60_000, 10);
    await first.kill("SIGKILL");

    const second = await start();
    await eventually(async () => (await count(sql, "status = 'sent'")) === 300, 120_000, 250);
    deliveredOnce(hook.received, "broadcast", 300);
    expect(hook.received.length).toBeLessThanOrEqual(300 + 20);
    const progress = await eventually(async () => {
      const res = await fetch(`${second.url}/api/v1/staff/broadcasts/${id}`, { headers: await adminHeaders(second) });
      const body = (await res.json()) as { status: string; sent: number; pending: number; failed: number };
      return body.status === "done" ? body : null;
    }, 30_000);
    expect(progress).toMatchObject({ sent: 300, pending: 0, failed: 0 });
  });

  it("during guided-flow turns: each message is processed once, in order, and each application submitted once", async () => {
    const { sql, start } = await setup();
    let service = await start();
    const residents = Array.from({ length: 12 }, (_, i) => `flow-crash-${i}`);
    let answered = 0;
    let inFlight = 0;
    let retried = 0;
    const send = async (userId: string, text: string, messageId: string): Promise<TurnResult> => {
      for (let attempt = 0; ; attempt++) {
        inFlight++;
        try {
          const res = await fetch(`${service.url}/api/v1/messages`, {
            method: "POST",
            headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
            body: JSON.stringify({ channel: "api", userId, text, messageId }),
            signal: AbortSignal.timeout(30_000),
          });
          if (res.status === 200) return (await res.json()) as TurnResult;
          throw new Error(`HTTP ${res.status}`);
        } catch (err) {
          // The process died under this request: send the same message again, as the contract says.
          if (attempt > 100) throw err;
          retried++;
          await new Promise((r) => setTimeout(r, 200));
        } finally {
          inFlight--;
        }
      }
    };
    const sent = new Map<string, string[]>();
    const conversations = residents.map(async (userId, n) => {
      const texts: string[] = [];
      sent.set(userId, texts);
      let step = 0;
      const say = async (text: string) => {
        texts.push(text);
        const result = await send(userId, text, `${userId}-${step++}`);
        answered++;
        return result;
      };
      let result = await say(FLOW_TRIGGERS[0] as string);
      expect(result.awaiting, JSON.stringify(result)).toBeDefined();
      while (result.awaiting && step < 40) result = await say(answerFor(result.awaiting, n));
      return result;
    });
    // Kill while turns are under way, then start again on the same database.
    await eventually(() => answered >= 30 && inFlight > 0, 60_000, 1);
    await service.kill("SIGKILL");
    service = await start();
    const finals = await Promise.all(conversations);
    expect(retried).toBeGreaterThan(0);

    for (const [i, userId] of residents.entries()) {
      expect(finals[i]?.awaiting, userId).toBeUndefined();
      const inbound = await sql.all<{ text: string }>(
        `SELECT m.text FROM "Message" m JOIN "Resident" r ON r.id = m.residentId
         WHERE r.channelUserId = ? AND m.direction = 'in' ORDER BY m.id`,
        userId,
      );
      // ID numbers and phones are masked in the transcript: compare the count and the plain steps.
      expect(inbound.length, userId).toBe(sent.get(userId)?.length);
      expect(inbound[0]?.text).toBe(FLOW_TRIGGERS[0]);
      const apps = await sql.all<{ status: string }>(
        `SELECT a.status FROM "Application" a JOIN "Resident" r ON r.id = a.residentId WHERE r.channelUserId = ?`,
        userId,
      );
      expect(apps, userId).toEqual([{ status: "pending" }]);
    }
  });
});

describe("two processes scanning for reminders at the same moment", { timeout: 300_000 }, () => {
  it("queue one reminder per permit and stage between them: the database's unique key decides", async () => {
    const hook = await startWebhook();
    cleanups.push(() => hook.close());
    const { sql, start } = await setup({ API_WEBHOOK_URL: hook.url });
    const [a, b] = await Promise.all([start(), start()]);
    const staff = await adminHeaders(a!);
    await uploadPermits(a!, staff, "scan", 1200);
    // Both processes scan the same permits at once, several times over.
    const scans = await Promise.all(
      [a!, b!, a!, b!].map(async (s) => {
        const res = await fetch(`${s.url}/api/v1/staff/reminders/run`, {
          method: "POST",
          headers: { authorization: staff.authorization! },
        });
        expect(res.status, await res.clone().text()).toBe(200);
        return ((await res.json()) as { queued: number }).queued;
      }),
    );
    expect(scans.reduce((x, y) => x + y, 0)).toBe(1200);
    const repeated = await sql.all(
      `SELECT permitId, cycle, stage, count(*) AS n FROM "Reminder" GROUP BY permitId, cycle, stage HAVING count(*) > 1`,
    );
    expect(repeated).toEqual([]);
    expect(await sql.get<{ n: number }>(`SELECT count(*) AS n FROM "Reminder"`)).toEqual({ n: 1200 });
    await eventually(async () => (await count(sql, "status = 'sent'")) === 1200, 120_000, 250);
    deliveredOnce(hook.received, "reminder", 1200);
  });
});
