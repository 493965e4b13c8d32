/**
 * Retention: transcripts go RETENTION_TRANSCRIPT_DAYS after their last message, decided
 * applications RETENTION_APPLICATION_DAYS after the decision, residents when nothing needs them
 * any more; the job is idempotent, works in chunks, and is safe with two instances at once.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { PurgeCounts } from "../src/data/retention.ts";
import { DAY_MS } from "../src/domain/retention.ts";
import { runRetention } from "../src/jobs/retention.ts";
import { encryptSecret, hashIdNumber, maskIdNumber } from "../src/lib/crypto.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { bearer, staffToken } from "./helpers/staff.ts";
import { eventually } from "./helpers/processes.ts";

const root = join(import.meta.dirname, "..");
const T0 = "2026-01-10T10:00:00+08:00";
const ID = "330203199001011236";
const apps: TestApp[] = [];
afterEach(async () => {
  for (const t of apps.splice(0).reverse()) await t.close();
});

async function service(env: Record<string, string> = {}, opts: { databaseUrl?: string; dir?: string } = {}) {
  const t = await createTestApp(env, { now: T0, ...opts });
  apps.push(t);
  return t;
}

/**
 * The retention job in a second process on the same database (another instance). It opens the
 * database, says "ready", and starts when told "go", so both really run at the same time.
 */
async function otherProcess(databaseUrl: string, now: number) {
  const code = `
    import { Store } from ${JSON.stringify(join(root, "src/data/store.ts"))};
    import { runRetention } from ${JSON.stringify(join(root, "src/jobs/retention.ts"))};
    const store = await Store.open(${JSON.stringify(databaseUrl)});
    process.stdout.write("ready\\n");
    await new Promise((resolve) => process.stdin.once("data", resolve));
    const policy = { transcriptDays: 365, applicationDays: 1095 };
    // Connected before it says it starts (a cutoff of 0 deletes nothing), then takes a while (30
    // chunks, 25 ms apart), so both sides start on an equal footing however loaded the machine.
    await store.retention.purgeTranscripts(0, 1, 1);
    process.stdout.write("going\\n");
    const result = await runRetention({ retention: store.retention, policy, pauseMs: 25, chunkConversations: 5 }, ${now});
    await store.close();
    process.stdout.write(JSON.stringify(result) + "\\n");
    process.exit(0);
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { cwd: root });
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const lines = new Promise<string[]>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready\n")) readyResolve();
      if (out.includes("going\n")) goingResolve();
    });
    child.on("exit", (code) => (code === 0 ? resolve(out.trim().split("\n")) : reject(new Error(`exit ${code}: ${err}`))));
  });
  let readyResolve = () => {};
  let goingResolve = () => {};
  const going = new Promise<void>((resolve) => {
    goingResolve = resolve;
  });
  const ready = new Promise<void>((resolve) => {
    readyResolve = resolve;
  });
  await Promise.race([ready, lines]);
  return {
    /** Starts the child's run; resolves once it has really begun, with its result to come. */
    async go(): Promise<{ result: Promise<PurgeCounts> }> {
      child.stdin.write("go\n");
      await Promise.race([going, lines]);
      return { result: lines.then((l) => JSON.parse(l.at(-1) as string) as PurgeCounts) };
    },
  };
}

const purge = (t: TestApp, extra: { pauseMs?: number; chunkConversations?: number } = {}) =>
  runRetention({ retention: t.ctx.store.retention, policy: t.ctx.config.retention, pauseMs: 0, ...extra }, t.clock.now());

const residentOf = async (t: TestApp, userId: string) =>
  t.sql.get<{ id: string; displayName: string | null }>(`SELECT id, displayName FROM "Resident" WHERE channelUserId = ?`, userId);
const count = async (t: TestApp, table: string, where = "1 = 1", ...params: unknown[]) =>
  Number((await t.sql.get<{ n: number }>(`SELECT count(*) AS n FROM "${table}" WHERE ${where}`, ...params))?.n);

/** An application as a submitted flow stores it, for a resident who chatted. */
async function application(t: TestApp, userId: string, reference: string): Promise<string> {
  const resident = await residentOf(t, userId);
  const id = randomUUID();
  const now = t.clock.now();
  await t.sql.run(
    `INSERT INTO "Application" (id, reference, type, status, residentId, data, name, idNumberEnc, idNumberHash, idNumberMasked, phone, district, createdAt, updatedAt)
     VALUES (?, ?, 'address_report', 'pending', ?, ?, '张三', ?, ?, ?, '13812345678', '江北区', ?, ?)`,
    id,
    reference,
    resident?.id,
    JSON.stringify({ district: "江北区", landlordPhone: "13912345678" }),
    encryptSecret(t.ctx.secrets.encryptionKey, ID),
    hashIdNumber(t.ctx.secrets.hashKey, ID),
    maskIdNumber(ID),
    now,
    now,
  );
  return id;
}

describe("retention", () => {
  it("deletes transcripts a year after the last message and decided applications three years after the decision", async () => {
    const t = await service();
    const reviewer = await staffToken(t, "reviewer");
    const decide = (id: string, decision: string, reason?: string) =>
      t.app.inject({
        method: "POST",
        url: `/api/v1/staff/applications/${id}/decision`,
        headers: bearer(reviewer),
        payload: { decision, ...(reason ? { reason } : {}) },
      });

    // Day 0: five residents chat.
    for (const u of ["only-chat", "applicant", "still-here", "permit-holder", "wants-deletion", "undecided"]) {
      await t.say(u, "居住证怎么续签");
    }
    await t.say("only-chat", "今天天气怎么样"); // an unanswered question: its sample is resident text
    const decided = await application(t, "applicant", "YJ20260110-AAAA");
    const pending = await application(t, "undecided", "YJ20260110-BBBB");
    expect((await decide(decided, "approve")).statusCode).toBe(200);
    await t.app.inject({
      method: "GET",
      url: `/api/v1/staff/applications/${decided}`,
      headers: bearer(reviewer),
    });
    await t.app.inject({
      method: "POST",
      url: "/api/v1/staff/permits",
      headers: bearer(reviewer),
      payload: [
        { channel: "api", userId: "permit-holder", permitNumber: "NB2026000001", holderName: "李四", endorseBy: "2027-06-01" },
      ],
    });
    await t.say("wants-deletion", "删除我的信息");
    await t.sql.run(`UPDATE "Resident" SET displayName = '微信昵称' WHERE channelUserId = 'applicant'`);
    expect(await count(t, "UnansweredQuestion")).toBeGreaterThan(0);
    expect(await count(t, "Delivery")).toBe(1); // the decision notice (jobs are off here: it stays pending)

    // Day 300: one of them writes again.
    t.clock.set(new Date(T0).getTime() + 300 * DAY_MS);
    await t.say("still-here", "谢谢");

    // Day 364: nothing is due yet.
    t.clock.set(new Date(T0).getTime() + 364 * DAY_MS);
    expect(await purge(t)).toMatchObject({ conversations: 0, messages: 0, applications: 0, residents: 0 });

    // Day 366: transcripts idle for a year are gone; residents nothing needs any more with them.
    t.clock.set(new Date(T0).getTime() + 366 * DAY_MS);
    const first = await purge(t);
    expect(first).toMatchObject({ conversations: 5, applications: 0, residents: 1, unanswered: 1 });
    expect(first.messages).toBeGreaterThanOrEqual(10);
    expect(await residentOf(t, "only-chat")).toBeUndefined();
    // Kept: what still needs the resident — an application, a permit, a pending deletion request.
    for (const u of ["applicant", "permit-holder", "wants-deletion", "undecided"]) {
      const r = await residentOf(t, u);
      expect(r, u).toBeDefined();
      expect(await count(t, "Conversation", "residentId = ?", r?.id), u).toBe(0);
      expect(await count(t, "Message", "residentId = ?", r?.id), u).toBe(0);
    }
    expect((await residentOf(t, "applicant"))?.displayName).toBeNull();
    // The resident who wrote on day 300 keeps everything, their day-0 messages included.
    const still = await residentOf(t, "still-here");
    expect(await count(t, "Message", "residentId = ?", still?.id)).toBe(4);
    // Proactive messages due over a year ago are gone too; nothing else is.
    expect(await count(t, "Delivery")).toBe(0);
    expect(await count(t, "UnansweredQuestion")).toBe(0);
    expect(await count(t, "Application")).toBe(2);

    // Idempotent: running again deletes nothing.
    expect(await purge(t)).toMatchObject({ conversations: 0, messages: 0, applications: 0, residents: 0, deliveries: 0 });

    // A resident whose transcript went comes back: a fresh conversation, their application still there.
    const back = await t.say("applicant", "查进度");
    expect(back.replies[0]?.text).toContain("YJ20260110-AAAA");

    // Three years after the decision the application goes; the undecided one stays for staff.
    t.clock.set(new Date(T0).getTime() + (3 * 365 + 2) * DAY_MS);
    const later = await purge(t);
    expect(later.applications).toBe(1);
    expect(await count(t, "Application", "id = ?", decided)).toBe(0);
    expect(await count(t, "Application", "id = ?", pending)).toBe(1);
    // "applicant" chatted at day 366 and was gone by then too (transcript + nothing left): deleted.
    expect(await residentOf(t, "applicant")).toBeUndefined();
    expect(await residentOf(t, "undecided")).toBeDefined();
    // The audit log keeps who did what to which reference, with no personal data.
    const audit = await t.sql.all<{ action: string; detail: string | null }>(
      `SELECT action, detail FROM "AuditLog" WHERE targetId = ? ORDER BY id`,
      decided,
    );
    expect(audit.map((a) => a.action)).toEqual(["application.approve", "application.view"]);
    expect(JSON.stringify(audit)).not.toMatch(/张三|13812345678|13912345678|19900101/);
  });

  it("follows RETENTION_* and works in chunks; a resident who writes meanwhile keeps their conversation", async () => {
    const t = await service({ RETENTION_TRANSCRIPT_DAYS: "30", RETENTION_APPLICATION_DAYS: "60" });
    for (let i = 0; i < 6; i++) await t.say("chunked", `问题${i}：居住证怎么续签`);
    await t.say("writes-back", "你好");
    t.clock.set(new Date(T0).getTime() + 31 * DAY_MS);

    // Three messages per call: several calls before the conversation itself goes.
    const repo = t.ctx.store.retention;
    const cutoff = t.clock.now() - 30 * DAY_MS;
    const calls: number[] = [];
    for (;;) {
      const c = await repo.purgeTranscripts(cutoff, 100, 3);
      if (c.done) break;
      calls.push(c.messages);
      // Between two chunks the other resident writes again: their conversation is no longer due.
      if (calls.length === 1) await t.say("writes-back", "还在吗");
      expect(calls.length).toBeLessThan(20);
    }
    expect(calls.slice(0, 4)).toEqual([3, 3, 3, 3]);
    expect(await residentOf(t, "chunked")).toBeUndefined();
    const kept = await residentOf(t, "writes-back");
    expect(await count(t, "Conversation", "residentId = ?", kept?.id)).toBe(1);
    // Its two new messages are there; older ones of a still-active conversation may have gone in the first chunk.
    expect(await count(t, "Message", "residentId = ? AND createdAt > ?", kept?.id, cutoff)).toBe(2);
    expect((await t.say("writes-back", "你好")).replies[0]?.intent).toBe("greeting");
  });

  it("two instances (processes) running it at once delete each row once and fail nowhere", async () => {
    const a = await service();
    for (let i = 0; i < 150; i++) await a.say(`many-${i}`, "居住证怎么续签");
    const total = await count(a, "Message");
    a.clock.set(new Date(T0).getTime() + 400 * DAY_MS);
    // Small chunks, started together, so the two really take turns.
    const other = await otherProcess(a.databaseUrl, a.clock.now());
    const started = await other.go();
    // This side starts once the other has done a chunk: its 30 chunks take at least 0.7 s, so this
    // side joins long before the end, however loaded the machine (a plain simultaneous start let one
    // side win every race on a busy CI machine).
    await eventually(async () => (await count(a, "Conversation")) < 150, 30_000, 5);
    const [there, here] = await Promise.all([started.result, purge(a, { pauseMs: 10, chunkConversations: 5 })]);
    // Each did part of the work.
    expect(here.conversations).toBeGreaterThan(0);
    expect(there.conversations).toBeGreaterThan(0);
    expect(here.messages + there.messages).toBe(total);
    expect(here.conversations + there.conversations).toBe(150);
    expect(here.residents + there.residents).toBe(150);
    expect(await count(a, "Resident")).toBe(0);
    expect(await count(a, "Message")).toBe(0);
  });
});
