import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { bearer, staffToken } from "./helpers/staff.ts";

let t: TestApp;
let agent: string;
// A Monday, 10:00 in Ningbo: inside the default office hours 09:00-17:30.
const MONDAY_10AM = "2026-03-02T10:00:00+08:00";

beforeAll(async () => {
  t = await createTestApp({}, { now: MONDAY_10AM });
  agent = await staffToken(t, "agent");
});
afterAll(() => t.close());

const api = (method: "GET" | "POST", url: string, payload?: object, token = agent) =>
  t.app.inject({ method, url: `/api/v1/staff${url}`, headers: bearer(token), ...(payload === undefined ? {} : { payload }) });

const conversationStatus = async (id: string) =>
  (await t.sql.get<{
    status: string;
    escalationReason: string | null;
    claimedBy: string | null;
  }>(`SELECT status, escalationReason, claimedBy FROM "Conversation" WHERE id = ?`, id))!;

describe("handoff to a person", () => {
  it("queues a resident who asks for a person, says so with the office hours, then stays quiet", async () => {
    const asked = await t.say("res-1", "转人工");
    expect(asked.handoff).toBe(true);
    expect(asked.replies).toHaveLength(1);
    expect(asked.replies[0]?.text).toContain("排队");
    expect(asked.replies[0]?.text).toContain("09:00-17:30");
    expect(await conversationStatus(asked.conversationId)).toMatchObject({ status: "escalated", escalationReason: "requested" });

    // While waiting: no answers from the bot.
    t.clock.advance(60_000);
    const waiting = await t.say("res-1", "居住证怎么办");
    expect(waiting).toMatchObject({ handoff: true, replies: [] });
    t.clock.advance(60_000);
    expect((await t.say("res-1", "有人吗")).replies).toEqual([]);

    // At most one short holding message every 5 minutes.
    t.clock.advance(3 * 60_000 + 1);
    const holding = await t.say("res-1", "还要等多久");
    expect(holding.replies).toHaveLength(1);
    expect(holding.replies[0]?.intent).toBe("held");
    t.clock.advance(60_000);
    expect((await t.say("res-1", "喂")).replies).toEqual([]);
    t.clock.advance(4 * 60_000);
    expect((await t.say("res-1", "喂喂")).replies).toHaveLength(1);
  });

  it("lists the queue oldest first with the waiting time", async () => {
    t.clock.advance(60_000);
    const second = await t.say("res-2", "我要找工作人员");
    expect(second.handoff).toBe(true);
    const res = await api("GET", "/conversations?status=escalated");
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { id: string; userId: string; channel: string; status: string; waitingMs: number }[];
    expect(items.map((i) => i.userId)).toEqual(["res-1", "res-2"]);
    expect(items[0]).toMatchObject({ channel: "api", status: "escalated" });
    expect(items[0]?.waitingMs).toBeGreaterThan(items[1]?.waitingMs as number);
    expect(items[1]?.waitingMs).toBe(0);
  });

  it("escalates after two misunderstandings in a row", async () => {
    const first = await t.say("res-3", "zxqv blorp");
    expect(first.handoff).toBe(false);
    const second = await t.say("res-3", "qqq www eee");
    expect(second.handoff).toBe(true);
    expect(second.replies[0]?.text).toContain("没弄明白");
    expect(await conversationStatus(second.conversationId)).toMatchObject({
      status: "escalated",
      escalationReason: "misunderstood",
    });
  });

  it("escalates when the resident accepts an offer, with the offer's reason", async () => {
    const hello = await t.say("res-4", "你好");
    await t.sql.run(
      `UPDATE "Conversation" SET state = ? WHERE id = ?`,
      JSON.stringify({ misunderstood: 0, offer: "handoff", offerReason: "wage" }),
      hello.conversationId,
    );
    const yes = await t.say("res-4", "好的");
    expect(yes.handoff).toBe(true);
    expect(await conversationStatus(hello.conversationId)).toMatchObject({ status: "escalated", escalationReason: "wage" });
  });

  it("a declined offer lapses and the bot carries on", async () => {
    const hello = await t.say("res-5", "你好");
    await t.sql.run(
      `UPDATE "Conversation" SET state = ? WHERE id = ?`,
      JSON.stringify({ misunderstood: 0, offer: "handoff", offerReason: "dispute" }),
      hello.conversationId,
    );
    const no = await t.say("res-5", "不用了");
    expect(no.handoff).toBe(false);
    expect((await t.say("res-5", "转人工吧")).handoff).toBe(true);
  });

  it("取消转人工 returns the resident to the bot", async () => {
    await t.say("res-6", "人工客服");
    const cancel = await t.say("res-6", "取消转人工");
    expect(cancel.handoff).toBe(false);
    expect(cancel.replies[0]?.text).toContain("已取消");
    expect((await t.say("res-6", "你好")).replies[0]?.intent).toBe("greeting");
  });

  it("outside office hours the escalation is acknowledged and kept in the queue", async () => {
    const night = await createTestApp({}, { now: "2026-03-02T22:30:00+08:00" });
    try {
      const res = await night.say("late-1", "转人工");
      expect(res.handoff).toBe(true);
      expect(res.replies[0]?.text).toContain("不是工作时间");
      expect(res.replies[0]?.text).toContain("上班后");
      const token = await staffToken(night, "agent");
      const queue = await night.app.inject({
        method: "GET",
        url: "/api/v1/staff/conversations?status=escalated",
        headers: bearer(token),
      });
      expect(queue.json().items.map((i: { userId: string }) => i.userId)).toEqual(["late-1"]);
    } finally {
      await night.close();
    }
  });
});

describe("staff take over and hand back", () => {
  it("claim, read the transcript, reply (delivered on the api channel), note, resolve → the bot resumes and says so", async () => {
    const queue = (await api("GET", "/conversations?status=escalated")).json().items as { id: string; userId: string }[];
    const id = queue.find((i) => i.userId === "res-1")?.id as string;

    const claimed = await api("POST", `/conversations/${id}/claim`);
    expect(claimed.statusCode, claimed.body).toBe(200);
    expect(claimed.json()).toMatchObject({ status: "staff" });
    expect((await api("GET", "/conversations?status=escalated")).json().items.map((i: { id: string }) => i.id)).not.toContain(id);

    // Another agent cannot claim it from under the first.
    const other = await staffToken(t, "agent");
    expect((await api("POST", `/conversations/${id}/claim`, undefined, other)).statusCode).toBe(409);

    const view = await api("GET", `/conversations/${id}`);
    expect(view.statusCode).toBe(200);
    const texts = view.json().messages.map((m: { text: string }) => m.text);
    expect(texts[0]).toBe("转人工");
    expect(texts).toContain("居住证怎么办");

    const reply = await api("POST", `/conversations/${id}/messages`, { text: "您好，我是工作人员小王，请问有什么可以帮您？" });
    expect(reply.statusCode).toBe(200);
    const delivery = (await t.sql.get<Record<string, string>>(
      `SELECT d.channel, d.kind, d.text, d.dedupeKey, r.channelUserId FROM "Delivery" d JOIN "Resident" r ON r.id = d.residentId WHERE d.dedupeKey = ?`,
      `staff:${reply.json().messageId}`,
    ))!;
    expect(delivery).toMatchObject({ channel: "api", kind: "staff", channelUserId: "res-1" });
    expect(delivery.text).toContain("小王");
    const transcript = (await api("GET", `/conversations/${id}`)).json().messages as {
      author: string;
      text: string;
      staffName: string;
    }[];
    expect(transcript.at(-1)).toMatchObject({ author: "staff", text: expect.stringContaining("小王") });

    // The resident answers: the bot stays out of the conversation with staff.
    t.clock.advance(30_000);
    expect((await t.say("res-1", "我想问孩子上学的事")).replies).toEqual([]);

    expect((await api("POST", `/conversations/${id}/notes`, { text: "居民咨询子女入学，已解答" })).statusCode).toBe(200);
    const notes = (await api("GET", `/conversations/${id}`)).json().notes;
    expect(notes[0]).toMatchObject({ text: "居民咨询子女入学，已解答" });

    const resolved = await api("POST", `/conversations/${id}/resolve`);
    expect(resolved.json()).toMatchObject({ status: "bot" });
    const last = (await api("GET", `/conversations/${id}`)).json().messages.at(-1);
    expect(last.text).toContain("甬居助手继续为您服务");

    const back = await t.say("res-1", "你好");
    expect(back.handoff).toBe(false);
    expect(back.replies[0]?.intent).toBe("greeting");
  });

  it("a web-chat resident sees the staff reply in their chat history", async () => {
    const first = await t.app.inject({ method: "POST", url: "/chat/messages", payload: { text: "转人工" } });
    expect(first.json().handoff).toBe(true);
    const cookie = String(first.headers["set-cookie"]).split(";")[0] as string;
    const id = first.json().conversationId as string;

    const reply = await api("POST", `/conversations/${id}/messages`, { text: "您好，这里是人工服务，请讲。" });
    expect(reply.statusCode).toBe(200);
    const history = await t.app.inject({ method: "GET", url: "/chat/history", headers: { cookie } });
    const messages = history.json().messages as { author: string; text: string }[];
    expect(messages.at(-1)).toMatchObject({ author: "staff", text: "您好，这里是人工服务，请讲。" });
    expect(history.json().handoff).toBe(true);

    await api("POST", `/conversations/${id}/resolve`);
    const after = await t.app.inject({ method: "GET", url: "/chat/history", headers: { cookie } });
    expect(after.json().handoff).toBe(false);
    expect(after.json().messages.at(-1).text).toContain("甬居助手继续为您服务");
  });

  it("records who opened, claimed, replied to and resolved conversations", async () => {
    const rows = await t.sql.all<{
      action: string;
    }>(`SELECT action FROM "AuditLog" WHERE action LIKE 'conversation.%'`);
    const actions = new Set(rows.map((r) => r.action));
    for (const a of ["conversation.view", "conversation.claim", "conversation.reply", "conversation.resolve"])
      expect(actions).toContain(a);
  });

  it("a reviewer cannot read conversations; replying to a bot conversation is refused", async () => {
    const reviewer = await staffToken(t, "reviewer");
    expect((await api("GET", "/conversations", undefined, reviewer)).statusCode).toBe(403);
    const idle = await t.say("res-idle", "你好");
    const res = await api("POST", `/conversations/${idle.conversationId}/messages`, { text: "hi" });
    expect(res.statusCode).toBe(409);
    expect((await api("GET", "/conversations/does-not-exist")).statusCode).toBe(404);
    expect((await api("POST", `/conversations/${idle.conversationId}/messages`, { text: "" })).statusCode).toBe(400);
  });

  it("taking over or resolving a colleague's conversation needs a reason and is audited as a takeover", async () => {
    const colleague = await staffToken(t, "agent", "colleague-li");
    const asked = await t.say("res-takeover", "转人工");
    const id = asked.conversationId;
    expect((await api("POST", `/conversations/${id}/claim`, {}, colleague)).statusCode).toBe(200);

    // A plain claim is refused as before; force alone now asks for a reason, clearly.
    const plain = await api("POST", `/conversations/${id}/claim`, {});
    expect(plain.json().error.code).toBe("claimed_by_other");
    const noReason = await api("POST", `/conversations/${id}/claim`, { force: true });
    expect(noReason.statusCode).toBe(409);
    expect(noReason.json().error).toMatchObject({ code: "reason_required", message: expect.stringContaining("原因") });
    const blank = await api("POST", `/conversations/${id}/resolve`, { reason: "   " });
    expect(blank.json().error.code).toBe("reason_required");
    expect((await api("POST", `/conversations/${id}/resolve`)).json().error.code).toBe("reason_required");
    expect((await conversationStatus(id)).status).toBe("staff");

    const taken = await api("POST", `/conversations/${id}/claim`, { force: true, reason: "李工下班了，由我继续跟进" });
    expect(taken.statusCode).toBe(200);
    expect(taken.json().claimedByName).not.toBe("colleague-li");
    // The colleague now needs a reason to end it; with one it is resolved, and audited.
    const back = await api("POST", `/conversations/${id}/resolve`, { reason: "居民的问题已在电话里解决" }, colleague);
    expect(back.statusCode).toBe(200);
    expect(back.json().status).toBe("bot");

    const audit = await t.sql.all<{ action: string; username: string; detail: string | null }>(
      `SELECT action, username, detail FROM "AuditLog" WHERE targetId = ? AND action IN ('conversation.takeover', 'conversation.claim', 'conversation.resolve') ORDER BY id`,
      id,
    );
    expect(audit.map((a) => a.action)).toEqual([
      "conversation.claim",
      "conversation.takeover",
      "conversation.resolve",
      "conversation.takeover",
    ]);
    expect(audit[1]?.detail).toMatch(/^claim · from colleague-li · 李工下班了/);
    expect(audit[3]).toMatchObject({
      username: "colleague-li",
      detail: expect.stringMatching(/^resolve · from .* · 居民的问题已在电话里解决/),
    });
    // Resolving one's own or a queued conversation needs no body, as before.
    const queued = await t.say("res-queued", "转人工");
    expect((await api("POST", `/conversations/${queued.conversationId}/resolve`)).statusCode).toBe(200);
  });
});
