import { mkdtempSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChannelAdapter, OutboundMessage } from "../../src/dialog/channel.ts";
import { DeliveryError } from "../../src/dialog/channel.ts";
import type { ChannelId } from "../../src/domain/types.ts";
import type { TestApp } from "../helpers/app.ts";
import { bearer, staffToken } from "../helpers/staff.ts";

export interface Hook {
  id: string;
  userId: string;
  text: string;
  kind: string;
}

/** A local receiver for the api channel's webhook: records every call, answers from a script. */
export class WebhookReceiver {
  readonly calls: { headers: IncomingHttpHeaders; body: Hook }[] = [];
  /** Status codes to answer with, in order; 200 once the script runs out. */
  script: number[] = [];
  private server: Server | null = null;
  url = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = "";
      req.on("data", (c) => {
        raw += c;
      });
      req.on("end", () => {
        this.calls.push({ headers: req.headers, body: JSON.parse(raw) as Hook });
        res.statusCode = this.script.shift() ?? 200;
        res.end("{}");
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  /** Distinct messages received (the receiver de-duplicates on id, as the contract intends). */
  received(userId?: string): Hook[] {
    const seen = new Map<string, Hook>();
    for (const c of this.calls) if (!userId || c.body.userId === userId) seen.set(c.body.id, c.body);
    return [...seen.values()];
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A test channel that records sends; `fail` decides per message whether to throw. */
export class RecordingChannel implements ChannelAdapter {
  readonly sent: OutboundMessage[] = [];
  fail: ((m: OutboundMessage) => DeliveryError | null) | null = null;
  constructor(
    readonly id: ChannelId,
    readonly capabilities: { buttons: boolean; idempotent: boolean; minGapMs: number },
  ) {}
  async send(message: OutboundMessage): Promise<void> {
    const error = this.fail?.(message);
    if (error) throw error;
    this.sent.push(message);
  }
}

export { DeliveryError };

export const tempDir = () => mkdtempSync(join(tmpdir(), "yongju-rem-"));

/** Local noon on a date in Asia/Shanghai (the tests' TZ). */
export const at = (date: string, time = "10:00") => `${date}T${time}:00+08:00`;

export function dateFrom(base: string, days: number): string {
  const d = new Date(`${base}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export async function staff(t: TestApp, role: "agent" | "reviewer" | "admin") {
  return bearer(await staffToken(t, role));
}

export async function postPermits(t: TestApp, headers: Record<string, string>, rows: unknown[]) {
  const res = await t.app.inject({ method: "POST", url: "/api/v1/staff/permits", headers, payload: rows });
  return { status: res.statusCode, body: res.json() as { upserted: number; rejected: { index: number; errors: string[] }[] } };
}

export async function runScan(t: TestApp, headers: Record<string, string>) {
  const res = await t.app.inject({ method: "POST", url: "/api/v1/staff/reminders/run", headers });
  if (res.statusCode !== 200) throw new Error(`scan: HTTP ${res.statusCode} ${res.body}`);
  return res.json() as { queued: number };
}

export interface ReminderItem {
  permitNumber: string;
  cycle: string;
  stage: string;
  status: string;
}

export async function reminders(t: TestApp, headers: Record<string, string>, permitNumber: string) {
  const res = await t.app.inject({
    method: "GET",
    url: `/api/v1/staff/reminders?permitNumber=${encodeURIComponent(permitNumber)}`,
    headers,
  });
  if (res.statusCode !== 200) throw new Error(`reminders: HTTP ${res.statusCode} ${res.body}`);
  return (res.json() as { items: ReminderItem[] }).items;
}

/** Deliveries as stored, in the order they were queued. */
export async function deliveryRows(t: TestApp, where = "1 = 1", ...params: unknown[]) {
  return t.sql.all<{
    id: string;
    status: string;
    kind: string;
    attempts: number;
    notBefore: number;
    lastError: string | null;
    channel: string;
    text: string;
    dedupeKey: string;
  }>(`SELECT * FROM "Delivery" WHERE ${where} ORDER BY createdAt, id`, ...params);
}
