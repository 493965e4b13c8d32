import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, createTestApp } from "../helpers/app.ts";

let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  const address = t.app.server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});
afterAll(() => t.close());

function cookieOf(res: Response): string {
  const set = res.headers.getSetCookie().find((c) => c.startsWith("yj_sid="));
  if (!set) throw new Error("no session cookie");
  return set.split(";")[0]!;
}

describe("web chat over a real HTTP server", () => {
  it("serves the page with an httpOnly signed session cookie", async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("甬居助手");
    const set = res.headers.getSetCookie().join(";");
    expect(set).toMatch(/yj_sid=/);
    expect(set).toMatch(/HttpOnly/i);
    expect((await fetch(`${base}/assets/chat.js`)).status).toBe(200);
  });

  it("greets, keeps the transcript per cookie, and ignores a forged cookie", async () => {
    const cookie = cookieOf(await fetch(`${base}/`));
    const res = await fetch(`${base}/chat/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify({ text: "你好" }),
    });
    const body = (await res.json()) as any;
    expect(body.replies[0].intent).toBe("greeting");
    const history = (await (await fetch(`${base}/chat/history`, { headers: { cookie } })).json()) as any;
    expect(history.messages.map((m: { author: string }) => m.author)).toEqual(["resident", "bot"]);

    const forged = `yj_sid=${cookie.split("=")[1]!.split(".")[0]}.forgedsignature`;
    const other = (await (await fetch(`${base}/chat/history`, { headers: { cookie: forged } })).json()) as any;
    expect(other.messages).toEqual([]);
  });

  it("wakes an open page over server-sent events when a proactive message arrives", async () => {
    const cookie = cookieOf(await fetch(`${base}/`));
    const first = (await (
      await fetch(`${base}/chat/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie },
        body: JSON.stringify({ text: "你好" }),
      })
    ).json()) as { conversationId: string };
    const residentId = (await t.sql.get<{
      residentId: string;
    }>(`SELECT residentId FROM "Conversation" WHERE id = ?`, first.conversationId))!.residentId;

    const controller = new AbortController();
    const events = await fetch(`${base}/chat/events`, { headers: { cookie }, signal: controller.signal });
    expect(events.headers.get("content-type")).toContain("text/event-stream");
    const reader = events.body!.getReader();
    await reader.read(); // retry: header

    const userId = (await t.sql.get<{ channelUserId: string }>(`SELECT channelUserId FROM "Resident" WHERE id = ?`, residentId))!
      .channelUserId;
    await t.ctx.store.apply(
      [
        {
          type: "delivery.enqueue",
          delivery: {
            residentId,
            channel: "web",
            kind: "staff",
            text: "您好，我是工作人员小王。",
            dedupeKey: "t1",
            author: "staff",
          },
        },
      ],
      Date.now(),
    );
    await t.ctx.channels.get("web")!.send({ id: "t1", channel: "web", userId, text: "", kind: "staff" });
    const chunk = new TextDecoder().decode((await reader.read()).value);
    expect(chunk).toContain("event: wake");
    controller.abort();

    const history = (await (await fetch(`${base}/chat/history?after=0`, { headers: { cookie } })).json()) as any;
    const last = history.messages.at(-1);
    expect(last).toMatchObject({ author: "staff", text: "您好，我是工作人员小王。" });
  });

  it("answers an over-long web message with a 400 JSON error", async () => {
    const cookie = cookieOf(await fetch(`${base}/`));
    const res = await fetch(`${base}/chat/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify({ text: "长".repeat(2001) }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe("invalid_request");
  });
});
