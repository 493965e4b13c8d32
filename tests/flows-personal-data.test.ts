/**
 * An ID number or phone typed in any common form is masked wherever it is kept: the stored
 * transcript (read back through the staff API, as staff would see it) and the logs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/lib/logger.ts";
import { redactPersonalData } from "../src/lib/text.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { bearer, staffToken } from "./helpers/staff.ts";

const ID = "330203199001011236";
const MASKED_ID = "330203********1236";
/** The same ID number as residents type it. */
const ID_FORMS = [
  "3302 0319 9001 0112 36",
  "330203 19900101 1236",
  "330203-19900101-1236",
  "３３０２０３１９９００１０１１２３６",
  "３３０２０３ １９９００１０１ １２３６",
  "身份证号是330203199001011236",
  "身份证号码：3302-0319-9001-0112-36",
];
const PHONE_FORMS = ["+86 139 1234 5678", "139-1234-5678", "139 1234 5678", "１３９１２３４５６７８", "+8613912345678"];

describe("the normaliser masks every written form", () => {
  it("masks IDs and phones in free text, whatever the spacing, width or prefix", () => {
    for (const form of ID_FORMS) {
      const masked = redactPersonalData(`我的${form}，谢谢`);
      expect(masked, form).toContain(MASKED_ID);
      expect(masked, form).not.toMatch(/19900101/);
    }
    for (const form of PHONE_FORMS) {
      const masked = redactPersonalData(`电话${form}`);
      expect(masked, form).toContain("139****5678");
      expect(masked.replace(/\D/g, ""), form).not.toContain("12345678");
    }
    // An ID and a phone typed together without a gap are two numbers, both masked.
    expect(redactPersonalData(`${ID}13912345678`)).toBe(`${MASKED_ID}139****5678`);
    // A mistyped ID (17 digits) is still not left readable.
    expect(redactPersonalData("33020319900101123")).not.toContain("19900101");
  });

  it("never writes them to the log in any form", () => {
    const lines: string[] = [];
    const log = createLogger("info", { write: (chunk: string) => void lines.push(chunk) });
    for (const form of [...ID_FORMS, ...PHONE_FORMS]) {
      log.info({ detail: { text: `居民发来：${form}` } }, `message ${form}`);
    }
    const out = lines.join("\n");
    expect(lines).toHaveLength(ID_FORMS.length + PHONE_FORMS.length);
    for (const form of [...ID_FORMS, ...PHONE_FORMS]) expect(out).not.toContain(form);
    expect(out).not.toContain(ID);
    expect(out).not.toContain("19900101");
    expect(out).not.toContain("12345678");
    expect(out).toContain(MASKED_ID);
  });
});

describe("in a running service", () => {
  let t: TestApp;
  const logLines: string[] = [];

  beforeAll(async () => {
    // Everything the service logs, at the most talkative level.
    const logger = createLogger("trace", { write: (chunk: string) => void logLines.push(chunk) });
    t = await createTestApp({ RATE_LIMIT_PER_MINUTE: "1000" }, { now: "2026-11-28T10:00:00+08:00", logger });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("keeps only the masked ID and phone in the transcript staff read, for every form typed", async () => {
    const token = await staffToken(t, "agent");
    for (const [i, form] of ID_FORMS.entries()) {
      const user = `masking-${i}`;
      await t.say(user, "我要登记");
      await t.say(user, "同意");
      await t.say(user, "张三");
      const afterId = await t.say(user, form);
      expect(afterId.awaiting?.slot, form).toBe("phone");
      const phone = PHONE_FORMS[i % PHONE_FORMS.length] as string;
      const afterPhone = await t.say(user, phone);
      expect(afterPhone.awaiting?.slot, phone).toBe("district");
      // Also typed together, before consent.
      await t.say(`${user}-early`, `我要登记，我叫张三，${form}，手机${phone}`);

      for (const who of [user, `${user}-early`]) {
        const conversationId = (await t.say(who, "查进度")).conversationId;
        const res = await t.app.inject({
          method: "GET",
          url: `/api/v1/staff/conversations/${conversationId}`,
          headers: bearer(token),
        });
        expect(res.statusCode).toBe(200);
        const transcript = (res.json() as { messages: { text: string; direction: string }[] }).messages;
        const inbound = transcript.filter((m) => m.direction === "in").map((m) => m.text);
        const all = JSON.stringify(transcript);
        expect(all, form).not.toContain(form);
        expect(all, phone).not.toContain(phone);
        expect(all).not.toContain(ID);
        expect(all).not.toContain("19900101");
        expect(all).not.toContain("13912345678");
        expect(
          inbound.some((text) => text.includes(MASKED_ID)),
          `${who}: ${inbound.join(" | ")}`,
        ).toBe(true);
        expect(
          inbound.some((text) => text.includes("139****5678")),
          `${who}: ${inbound.join(" | ")}`,
        ).toBe(true);
      }
    }
  });

  it("keeps only masked numbers in the audit log, whatever an action writes into it", async () => {
    const admin = await staffToken(t, "admin");
    // A username that is someone's phone number.
    const created = await t.app.inject({
      method: "POST",
      url: "/api/v1/staff/users",
      headers: bearer(admin),
      payload: { username: "13912345678", password: "a-long-enough-password-77", role: "agent" },
    });
    expect(created.statusCode).toBe(200);
    await t.ctx.store.audit.record(
      { staffUserId: null, username: null, action: "test.detail", detail: `ID ${ID_FORMS[0]} / ${PHONE_FORMS[0]}` },
      t.clock.now(),
    );
    const res = await t.app.inject({ method: "GET", url: "/api/v1/staff/audit?limit=50", headers: bearer(admin) });
    expect(res.statusCode).toBe(200);
    const details = (res.json() as { items: { action: string; detail: string | null }[] }).items.map((i) => i.detail ?? "");
    expect(details.some((d) => d.includes("139****5678 (agent)"))).toBe(true);
    expect(details.some((d) => d.includes(`ID ${MASKED_ID} / 139****5678`))).toBe(true);
    for (const form of [...ID_FORMS, ...PHONE_FORMS, ID, "13912345678"]) expect(res.body).not.toContain(form);
  });

  it("wrote none of them to its log", () => {
    expect(logLines.length).toBeGreaterThan(0);
    const out = logLines.join("\n");
    for (const form of [...ID_FORMS, ...PHONE_FORMS]) expect(out).not.toContain(form);
    expect(out).not.toContain(ID);
    expect(out).not.toContain("19900101");
  });
});

describe("request logs", () => {
  let t: TestApp;
  const logLines: string[] = [];

  beforeAll(async () => {
    const logger = createLogger("info", { write: (chunk: string) => void logLines.push(chunk) });
    t = await createTestApp({}, { logger });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("mask ID and phone numbers in request URLs, in the query or the path, however they are written", async () => {
    const token = await staffToken(t, "reviewer");
    const forms = [...ID_FORMS, ...PHONE_FORMS];
    for (const form of forms) {
      // Percent-encoded as a browser sends it, and with "+" for spaces as forms do.
      const encoded = encodeURIComponent(form);
      const plus = encoded.replaceAll("%20", "+");
      for (const url of [`/api/v1/staff/reminders?permitNumber=${encoded}`, `/api/v1/staff/applications/${encoded}`]) {
        const res = await t.app.inject({ method: "GET", url, headers: bearer(token) });
        expect(res.statusCode, url).toBeLessThan(500);
      }
      await t.app.inject({ method: "GET", url: `/api/v1/staff/reminders?permitNumber=${plus}`, headers: bearer(token) });
    }
    // Unauthenticated and unknown routes are logged too.
    await t.app.inject({ method: "GET", url: `/no/such/route/${ID}?phone=13912345678` });

    const out = logLines.join("\n");
    const urls = logLines.map((l) => (JSON.parse(l) as { req?: { url?: string } }).req?.url).filter(Boolean) as string[];
    expect(urls.length).toBeGreaterThanOrEqual(forms.length * 3);
    for (const form of forms) {
      expect(out).not.toContain(form);
      expect(out).not.toContain(encodeURIComponent(form));
    }
    expect(out).not.toContain(ID);
    expect(out).not.toContain("19900101");
    expect(out).not.toContain("13912345678");
    expect(out).not.toContain("1234%205678");
    expect(urls.filter((u) => u.includes(MASKED_ID)).length).toBeGreaterThanOrEqual(ID_FORMS.length * 3);
    expect(urls.filter((u) => u.includes("139****5678")).length).toBeGreaterThanOrEqual(PHONE_FORMS.length * 3);
    // A URL without personal numbers is logged exactly as requested.
    await t.app.inject({ method: "GET", url: "/healthz?probe=1" });
    expect(logLines.some((l) => l.includes('"url":"/healthz?probe=1"'))).toBe(true);
  });

  it("mask them in logged errors: message, stack and the database's own detail", () => {
    const lines: string[] = [];
    const log = createLogger("info", { write: (chunk: string) => void lines.push(chunk) });
    const err = Object.assign(new Error(`duplicate key 330203 19900101 1236 for 139-1234-5678`), {
      detail: `Key ("permitNumber")=(${ID}) already exists.`,
      cause: new Error("while saving +86 139 1234 5678"),
    });
    log.error({ err }, "could not save");
    log.error(err);
    const out = lines.join("\n");
    expect(lines).toHaveLength(2);
    expect(out).not.toContain(ID);
    expect(out).not.toContain("19900101");
    expect(out).not.toContain("1234-5678");
    expect(out).not.toContain("1234 5678");
    expect(out).toContain(MASKED_ID);
    expect(out).toContain("139****5678");
  });
});
