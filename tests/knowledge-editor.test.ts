import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { bearer, staffToken } from "./helpers/staff.ts";

const WAGE = "labor.wage-arrears";
const HOTLINE = "0574-87000123";
/** A resident asking for the wage-arrears contact numbers (the part that shows the hotline). */
const ASK_WAGE_PHONE = "工资被拖欠了打什么电话投诉";

let t: TestApp;
let editor: string;
let editorName: string;
let agent: string;
let reviewer: string;

beforeAll(async () => {
  t = await createTestApp({}, { now: "2026-12-01T10:00:00+08:00" });
  editorName = `editor-${Date.now()}`;
  [editor, agent, reviewer] = await Promise.all([
    staffToken(t, "editor", editorName),
    staffToken(t, "agent"),
    staffToken(t, "reviewer"),
  ]);
});
afterAll(() => t.close());

const call = (method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE", url: string, token: string, payload?: unknown) =>
  t.app.inject({
    method,
    url: `/api/v1/staff${url}`,
    headers: bearer(token),
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });

interface Entry {
  version: number;
  configurable: Record<string, { label: string; kind: string; value: string | null }>;
  examples: string[];
  reviewedAt: string;
}
const entry = async (id: string) => (await call("GET", `/knowledge/${id}`, agent)).json() as Entry;

describe("knowledge editor through the staff API", () => {
  it("lists the seeded catalogue with versions, empty specifics and review dates; any role may read", async () => {
    const res = await call("GET", "/knowledge", agent);
    expect(res.statusCode).toBe(200);
    const items = (
      res.json() as {
        items: { id: string; version: number; emptySpecifics: number; specifics: number; reviewDue: boolean; draft: boolean }[];
      }
    ).items;
    const wage = items.find((i) => i.id === WAGE)!;
    expect(wage).toMatchObject({ version: 1, specifics: 3, emptySpecifics: 3, reviewDue: false, draft: false });
    expect(items.length).toBeGreaterThan(40);
    const one = await entry(WAGE);
    expect(one.configurable.hotline).toEqual({ label: "本地欠薪投诉电话", kind: "phone", value: null });
  });

  it("edit → preview → publish: the next resident asking about unpaid wages gets the number", async () => {
    const before = await t.say("r-before", ASK_WAGE_PHONE);
    expect(before.replies[0]!.text).not.toContain(HOTLINE);

    // Preview: exactly the resident's answer with the change, nothing stored.
    const preview = await call("POST", `/knowledge/${WAGE}/preview`, editor, {
      question: ASK_WAGE_PHONE,
      changes: { configurable: { hotline: HOTLINE } },
    });
    expect(preview.statusCode).toBe(200);
    const replies = (preview.json() as { replies: { text: string; intent: string; sources?: { id: string }[] }[] }).replies;
    expect(replies[0]!.intent).toBe("faq");
    expect(replies[0]!.text).toContain(HOTLINE);
    expect(replies[0]!.sources?.[0]?.id).toBe(WAGE);
    expect((await entry(WAGE)).configurable.hotline!.value).toBeNull();
    expect((await t.say("r-after-preview", ASK_WAGE_PHONE)).replies[0]!.text).not.toContain(HOTLINE);
    // A follow-up on the topic ("找谁") is previewed from the topic's entry.
    const followUp = await call("POST", `/knowledge/${WAGE}/preview`, editor, {
      question: "那打什么电话",
      topic: WAGE,
      changes: { configurable: { hotline: HOTLINE } },
    });
    const followed = (followUp.json() as { replies: { text: string; sources?: { id: string }[] }[] }).replies[0]!;
    expect(followed.sources?.[0]?.id).toBe(WAGE);
    expect(followed.text).toContain(HOTLINE);
    expect((await call("POST", `/knowledge/${WAGE}/preview`, agent, { question: ASK_WAGE_PHONE })).statusCode).toBe(403);

    const res = await call("PATCH", `/knowledge/${WAGE}`, editor, { baseVersion: 1, configurable: { hotline: HOTLINE } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: WAGE, version: 2 });

    const after = await t.say("r-after", ASK_WAGE_PHONE);
    expect(after.replies[0]!.text).toContain(HOTLINE);
    // A general question about unpaid wages gets the local number too, with the national hotlines.
    const general = (await t.say("r-general", "老板拖欠工资怎么办")).replies.map((r) => r.text).join("\n");
    expect(general).toContain(HOTLINE);
    expect(general).toContain("12333");
    const published = await entry(WAGE);
    expect(published.version).toBe(2);
    expect(published.configurable.hotline!.value).toBe(HOTLINE);
    expect(published.reviewedAt).toBe("2026-12-01");

    // A version with who, when and what changed; an audit row naming the changed fields.
    const versions = (await call("GET", `/knowledge/${WAGE}/versions`, agent)).json() as {
      items: { version: number; by: string | null; at: number; changes: { field: string; before: unknown; after: unknown }[] }[];
    };
    expect(versions.items.map((v) => v.version)).toEqual([2, 1]);
    expect(versions.items[0]!.by).toBe(editorName);
    expect(versions.items[0]!.changes).toContainEqual({ field: "configurable.hotline.value", before: null, after: HOTLINE });
    const audit = await t.sql.get<{ username: string; detail: string }>(
      `SELECT username, detail FROM "AuditLog" WHERE action = 'knowledge.publish' AND targetId = ?`,
      WAGE,
    );
    expect(audit?.username).toBe(editorName);
    expect(audit?.detail).toContain("configurable.hotline.value");
  });

  it("refuses a stale edit (409), a value of the wrong kind and an unknown field (400)", async () => {
    const stale = await call("PATCH", `/knowledge/${WAGE}`, editor, { baseVersion: 1, summary: "改了一下" });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe("stale_version");

    const current = (await entry(WAGE)).version;
    const wrongKind = await call("PATCH", `/knowledge/${WAGE}`, editor, {
      baseVersion: current,
      configurable: { hotline: "找老王" },
    });
    expect(wrongKind.statusCode).toBe(400);
    expect(wrongKind.json().error.message).toMatch(/configurable\.hotline.*phone/);
    // In the shape of every error; after the field's path, plain Chinese naming the specific by its
    // label, with an example of a value that fits (what the console shows next to the field).
    expect(Object.keys(wrongKind.json())).toEqual(["error"]);
    expect(wrongKind.json().error).toEqual({
      code: "invalid_entry",
      message:
        "configurable.hotline (phone): 本地欠薪投诉电话：电话格式不对，请填写如 0574-12345678 或 12333 这样的号码（分机写“转”，几个号码用“、”隔开）",
    });

    // Each kind is checked: opening hours, an address.
    const facilities = await entry("culture.facilities");
    const hoursKey = Object.entries(facilities.configurable).find(([, f]) => f.kind === "hours")![0];
    const badHours = await call("PATCH", "/knowledge/culture.facilities", editor, {
      baseVersion: facilities.version,
      configurable: { [hoursKey]: "随时" },
    });
    expect(badHours.statusCode).toBe(400);
    expect(badHours.json().error.message).toContain(`configurable.${hoursKey} (hours)`);
    expect(badHours.json().error.message).toContain(
      `${facilities.configurable[hoursKey]!.label}：办公时间格式不对，请写明哪几天、几点，如 工作日 9:00-17:00`,
    );
    const badAddress = await call("PATCH", `/knowledge/${WAGE}`, editor, {
      baseVersion: current,
      configurable: { complaintOffice: "宁波" },
    });
    expect(badAddress.statusCode).toBe(400);
    expect(badAddress.json().error.message).toContain(
      "configurable.complaintOffice (address): 宁波欠薪投诉受理地点：地址不完整，请填写完整地址，如 ",
    );

    const unknown = await call("PATCH", `/knowledge/${WAGE}`, editor, { baseVersion: current, colour: "red" });
    expect(unknown.statusCode).toBe(400);
    const noSuchSpecific = await call("PATCH", `/knowledge/${WAGE}`, editor, {
      baseVersion: current,
      configurable: { fax: "0574-1" },
    });
    expect(noSuchSpecific.statusCode).toBe(400);
    expect(noSuchSpecific.json().error.message).toContain("configurable.fax：这个条目没有这一项具体信息（它有：");
    expect((await entry(WAGE)).version).toBe(current);
  });

  it("an agent or a reviewer cannot edit (403)", async () => {
    const version = (await entry(WAGE)).version;
    for (const token of [agent, reviewer]) {
      const res = await call("PATCH", `/knowledge/${WAGE}`, token, {
        baseVersion: version,
        configurable: { hotline: "0574-80000000" },
      });
      expect(res.statusCode).toBe(403);
      expect((await call("POST", `/knowledge/${WAGE}/rollback`, token, { version: 1 })).statusCode).toBe(403);
    }
    expect((await entry(WAGE)).configurable.hotline!.value).toBe(HOTLINE);
  });

  it("rolls back: a new version equal to the old one, and residents are answered from it", async () => {
    const current = (await entry(WAGE)).version;
    const res = await call("POST", `/knowledge/${WAGE}/rollback`, editor, { version: 1 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: WAGE, version: current + 1 });
    expect((await entry(WAGE)).configurable.hotline!.value).toBeNull();
    expect((await t.say("r-rolled-back", ASK_WAGE_PHONE)).replies[0]!.text).not.toContain(HOTLINE);
    const audit = await t.sql.get(`SELECT id FROM "AuditLog" WHERE action = 'knowledge.rollback' AND targetId = ?`, WAGE);
    expect(audit).toBeTruthy();
    expect((await call("POST", `/knowledge/${WAGE}/rollback`, editor, { version: 99 })).statusCode).toBe(404);
  });

  it("an unanswered question becomes an example of an entry, leaves the list, and is then answered", async () => {
    const question = "工头卷铺盖溜了";
    const first = await t.say("r-unanswered", question);
    expect(first.replies[0]!.intent).toBe("fallback");
    await t.say("r-unanswered-2", question);

    const list = (await call("GET", "/insights/unanswered", editor)).json() as {
      items: { id: string; sample: string; count: number; trend: number[]; suggestion?: { entryId: string } }[];
    };
    const row = list.items.find((i) => i.sample === question)!;
    expect(row.count).toBe(2);
    expect(row.trend).toHaveLength(14);
    expect(row.trend.at(-1)).toBe(2);

    expect((await call("POST", `/insights/unanswered/${row.id}/attach`, agent, { entryId: WAGE })).statusCode).toBe(403);
    const attached = await call("POST", `/insights/unanswered/${row.id}/attach`, editor, { entryId: WAGE });
    expect(attached.statusCode).toBe(200);
    expect((await entry(WAGE)).examples).toContain(question);

    const open = (await call("GET", "/insights/unanswered", editor)).json() as { items: { id: string }[] };
    expect(open.items.map((i) => i.id)).not.toContain(row.id);
    const handled = (await call("GET", "/insights/unanswered?status=handled", editor)).json() as {
      items: { id: string; handled: { how: string; entryId?: string; by: string } }[];
    };
    expect(handled.items.find((i) => i.id === row.id)?.handled).toMatchObject({ how: "example", entryId: WAGE, by: editorName });

    const answered = await t.say("r-answered", question);
    expect(answered.replies[0]!.intent).toBe("faq");
    expect(answered.replies[0]!.sources?.[0]?.id).toBe(WAGE);
    const versions = (await call("GET", `/knowledge/${WAGE}/versions`, editor)).json() as {
      items: { changes: { field: string }[] }[];
    };
    expect(versions.items[0]!.changes.map((c) => c.field)).toEqual(["examples"]);
  });

  it("starts a draft from an unanswered question, or dismisses one", async () => {
    await t.say("r-draft", "东家赖账");
    await t.say("r-dismiss", "结账的时候老板人不见了");
    const items = ((await call("GET", "/insights/unanswered", editor)).json() as { items: { id: string; sample: string }[] })
      .items;
    const toDraft = items.find((i) => i.sample === "东家赖账")!;
    const toDismiss = items.find((i) => i.sample === "结账的时候老板人不见了")!;

    const draft = await call("POST", `/insights/unanswered/${toDraft.id}/draft`, editor);
    expect(draft.statusCode).toBe(200);
    const draftId = (draft.json() as { id: string }).id;
    const drafts = (await call("GET", "/knowledge/drafts", editor)).json() as {
      items: { id: string; fromQuestionId: string; content: { examples: string[] } }[];
    };
    expect(drafts.items.find((d) => d.id === draftId)).toMatchObject({
      fromQuestionId: toDraft.id,
      content: { examples: ["东家赖账"] },
    });
    const saved = await call("PUT", `/knowledge/drafts/${draftId}`, editor, {
      title: "赖账怎么办",
      content: { examples: ["东家赖账"] },
    });
    expect(saved.json()).toMatchObject({ title: "赖账怎么办" });
    const listed = (await call("GET", "/knowledge", editor)).json() as { items: { id: string; draft: boolean }[] };
    expect(listed.items.find((i) => i.id === draftId)?.draft).toBe(true);

    expect((await call("POST", `/insights/unanswered/${toDismiss.id}/dismiss`, editor)).statusCode).toBe(200);
    expect((await call("POST", `/insights/unanswered/${toDismiss.id}/dismiss`, editor)).statusCode).toBe(409);
    const open = ((await call("GET", "/insights/unanswered", editor)).json() as { items: { id: string }[] }).items.map(
      (i) => i.id,
    );
    expect(open).not.toContain(toDraft.id);
    expect(open).not.toContain(toDismiss.id);
    expect((await call("DELETE", `/knowledge/drafts/${draftId}`, editor)).statusCode).toBe(200);
    expect((await call("GET", `/knowledge/drafts/${draftId}`, editor)).statusCode).toBe(404);
  });

  it("publishes a new entry, validated like a file (409 when the id exists)", async () => {
    const body = {
      id: "labor.test-new-entry",
      title: "零工结算",
      category: "劳动权益",
      summary: "打零工被拖欠工钱的，打 12333 人社服务热线投诉，留好干活的证据。",
      nextStep: "先整理好干活的证据，再打 12333 投诉。",
      national: [],
      parts: {},
      related: [WAGE],
      keywords: ["零工"],
      examples: ["零工工钱结不到", "打零工不给钱", "日结工资老板不给"],
      configurable: { portal: { label: "网上投诉入口", kind: "url", value: null } },
      body: "",
      seedItems: [14],
    };
    const created = await call("POST", "/knowledge", editor, { draft: body });
    expect(created.statusCode).toBe(200);
    expect(created.json()).toEqual({ id: body.id, version: 1 });
    expect((await call("POST", "/knowledge", editor, { draft: body })).statusCode).toBe(409);
    const broken = await call("POST", "/knowledge", editor, {
      draft: { ...body, id: "labor.broken", related: ["no.such-entry"] },
    });
    expect(broken.statusCode).toBe(400);
    const asked = await t.say("r-new-entry", "打零工不给钱");
    expect(asked.replies[0]!.sources?.[0]?.id).toBe(body.id);
    // A web address is checked as one.
    const badUrl = await call("PATCH", `/knowledge/${body.id}`, editor, {
      baseVersion: 1,
      configurable: { portal: "12333 网站" },
    });
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json().error.message).toContain("configurable.portal (url)");
    expect(badUrl.json().error.message).toMatch(
      /^configurable\.portal \(url\): 网上投诉入口：网址格式不对，请填写以 http:\/\/ 或 https:\/\/ 开头的完整网址，如 https:\/\//,
    );
    // A new entry's specific is checked the same way, and named the same way.
    const badNew = await call("POST", "/knowledge", editor, {
      draft: {
        ...body,
        id: "labor.bad-portal",
        configurable: { portal: { label: "网上投诉入口", kind: "url", value: "12333 网站" } },
      },
    });
    expect(badNew.statusCode).toBe(400);
    expect(badNew.json().error.message).toContain("configurable.portal (url): 网上投诉入口：网址格式不对，请填写以 http://");
    const goodUrl = await call("PATCH", `/knowledge/${body.id}`, editor, {
      baseVersion: 1,
      configurable: { portal: "https://example.gov.cn/complaint" },
    });
    expect(goodUrl.json()).toEqual({ id: body.id, version: 2 });
  });
});

describe("dashboard", () => {
  it("charts the last 30 local days, each chart downloadable as CSV with a BOM", async () => {
    const res = await call("GET", "/dashboard?days=30", editor);
    expect(res.statusCode).toBe(200);
    const d = res.json() as {
      days: string[];
      to: string;
      charts: Record<
        string,
        { name: string; series?: { name: string; values: (number | null)[] }[]; items?: { key: string; n: number }[] }
      >;
    };
    expect(d.days).toHaveLength(30);
    expect(d.to).toBe("2026-12-01");
    const conversations = d.charts.conversations!.series!.find((s) => s.name === "conversations")!;
    expect(conversations.values).toHaveLength(30);
    expect(conversations.values.at(-1)).toBeGreaterThan(5);
    expect(d.charts.topEntries!.items!.map((i) => i.key)).toContain(WAGE);
    expect(d.charts.topUnanswered!.items!.length).toBeGreaterThan(0);

    const csv = await call("GET", "/dashboard/conversations.csv?days=30", agent);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(csv.headers["content-disposition"]).toMatch(/^attachment; filename="conversations-.*\.csv"$/);
    expect(csv.body.startsWith("\uFEFF日期,")).toBe(true);
    expect(csv.body.trim().split("\r\n")).toHaveLength(31);
    expect((await call("GET", "/dashboard/nothing.csv", agent)).statusCode).toBe(404);
  });

  it("counts handoffs and the median wait until a person takes the conversation", async () => {
    const admin = await staffToken(t, "admin");
    const { conversationId } = await t.say("r-handoff", "转人工");
    t.clock.advance(6 * 60_000);
    const claimed = await call("POST", `/conversations/${conversationId}/claim`, admin, {});
    expect(claimed.statusCode).toBe(200);
    const d = (await call("GET", "/dashboard?days=7", admin)).json() as {
      charts: Record<string, { series?: { name: string; values: (number | null)[] }[] }>;
    };
    const series = d.charts.handoffs!.series!;
    expect(series.find((s) => s.name === "handoffs")!.values.at(-1)).toBe(1);
    expect(series.find((s) => s.name === "medianWaitMinutes")!.values.at(-1)).toBe(6);
    // An editor has no access to conversations.
    expect((await call("GET", "/conversations", editor)).statusCode).toBe(403);
  });
});

describe("two instances on one database", () => {
  it("a publish on one instance is answered from on the other without a restart", async () => {
    // PostgreSQL: the other instance's revision check is made too slow to matter, so only
    // LISTEN/NOTIFY can bring the change within the wait. SQLite (no notifications): the check every 2 s.
    const postgres = t.databaseUrl.startsWith("postgres");
    const other = await createTestApp(
      {},
      { databaseUrl: t.databaseUrl, dir: t.dir, now: t.clock.now(), ...(postgres ? { knowledgeCheckMs: 10 * 60_000 } : {}) },
    );
    try {
      const number = "0574-87000999";
      expect((await other.say("r-other-1", ASK_WAGE_PHONE)).replies[0]!.text).not.toContain(number);
      const version = (await entry(WAGE)).version;
      const res = await call("PATCH", `/knowledge/${WAGE}`, editor, { baseVersion: version, configurable: { hotline: number } });
      expect(res.statusCode).toBe(200);
      await vi.waitFor(() => expect(other.ctx.knowledge.versionOf(WAGE)).toBe(version + 1), { timeout: 8_000, interval: 50 });
      expect((await other.say("r-other-2", ASK_WAGE_PHONE)).replies[0]!.text).toContain(number);
    } finally {
      await other.close();
    }
  });
});

describe("review cadence", () => {
  it("flags entries not reviewed for KNOWLEDGE_REVIEW_DAYS; marking reviewed clears the flag", async () => {
    // Seven months after the files' review date (2026-11-30): due with the default 180 days.
    const later = await createTestApp({}, { now: "2027-07-01T10:00:00+08:00" });
    const patient = await createTestApp({ KNOWLEDGE_REVIEW_DAYS: "365" }, { now: "2027-07-01T10:00:00+08:00" });
    try {
      const token = await staffToken(later, "editor");
      const get = (app: TestApp, tok: string, url: string) =>
        app.app.inject({ method: "GET", url: `/api/v1/staff${url}`, headers: bearer(tok) });
      const due = async (app: TestApp, tok: string) =>
        ((await get(app, tok, "/knowledge")).json() as { items: { id: string; reviewDue: boolean }[] }).items.find(
          (i) => i.id === "legal.aid",
        )!.reviewDue;
      expect(await due(later, token)).toBe(true);
      expect(await due(patient, await staffToken(patient, "agent"))).toBe(false);
      const res = await later.app.inject({
        method: "POST",
        url: "/api/v1/staff/knowledge/legal.aid/reviewed",
        headers: bearer(token),
        payload: { baseVersion: 1 },
      });
      expect(res.json()).toEqual({ id: "legal.aid", version: 2 });
      expect(await due(later, token)).toBe(false);
      expect(((await get(later, token, "/knowledge/legal.aid")).json() as { reviewedAt: string }).reviewedAt).toBe("2027-07-01");
    } finally {
      await Promise.all([later.close(), patient.close()]);
    }
  });
});
