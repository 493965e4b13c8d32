import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TurnResult } from "../src/domain/types.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { bearer, staffToken } from "./helpers/staff.ts";

/** A guided flow end to end in the web chat, and the application as staff see it. */
describe("guided flow in the web chat", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_PER_MINUTE: "1000" }, { now: "2026-11-28T10:00:00+08:00" });
  });
  afterAll(async () => {
    await t.close();
  });

  it("a resident completes the endorsement with a new address; staff see it pending with the ID masked", async () => {
    const first = await t.app.inject({ method: "GET", url: "/" });
    const cookie = String(first.headers["set-cookie"]).split(";")[0] as string;
    const say = async (text: string): Promise<TurnResult> => {
      const res = await t.app.inject({ method: "POST", url: "/chat/messages", headers: { cookie }, payload: { text } });
      expect(res.statusCode).toBe(200);
      return res.json() as TurnResult;
    };

    expect((await say("我要签注")).awaiting).toEqual({ slot: "consent", type: "consent", choices: ["同意", "不同意"] });
    expect((await say("1")).awaiting?.slot).toBe("permitOrId");
    expect((await say("11010519491231002X")).awaiting?.slot).toBe("name");
    expect((await say("李四")).awaiting).toEqual({ slot: "sameAddress", type: "choice", choices: ["是", "否"] });
    expect((await say("2")).awaiting?.slot).toBe("district");
    expect((await say("6")).awaiting?.slot).toBe("address");
    const summary = await say("岳林街道 中山东路1号");
    expect(summary.awaiting?.slot).toBe("confirm");
    expect(summary.replies[0]?.text).toContain("110105********002X");
    expect(summary.replies[0]?.choices).toEqual(["确认提交", "修改", "取消"]);
    const done = await say("1");
    expect(done.awaiting).toBeUndefined();
    const reference = /YJ\d{8}-[0-9A-Z]{4}/.exec(done.replies[0]?.text ?? "")?.[0];
    expect(reference).toBeDefined();

    // The web transcript never shows the ID in full, not even the resident's own message.
    const history = await t.app.inject({ method: "GET", url: "/chat/history", headers: { cookie } });
    expect(history.body).not.toContain("11010519491231002X");
    expect(history.body).toContain("110105********002X");

    const token = await staffToken(t, "reviewer");
    const list = await t.app.inject({
      method: "GET",
      url: "/api/v1/staff/applications?type=permit_endorsement&status=pending",
      headers: bearer(token),
    });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(reference);
    expect(list.body).toContain("110105********002X");
    expect(list.body).toContain("奉化区");
    expect(list.body).not.toContain("11010519491231002X");
  });

  it("residents answering at the same moment each get their own flow", async () => {
    const people = [
      { user: "par-a", name: "张三", id: "330203199001011236", masked: "330203********1236", district: "1" },
      { user: "par-b", name: "李四", id: "11010519491231002X", masked: "110105********002X", district: "2" },
      { user: "par-c", name: "王五", id: "330282198511150421", masked: "330282********0421", district: "3" },
    ];
    const steps = (p: (typeof people)[number]) => [
      "我要登记",
      "同意",
      p.name,
      p.id,
      "13812345678",
      p.district,
      "明州路1号2幢",
      "昨天",
      "自有住房",
    ];
    let last: TurnResult[] = [];
    for (let i = 0; i < 9; i++) last = await Promise.all(people.map((p) => t.say(p.user, steps(p)[i] as string)));
    people.forEach((p, i) => {
      const text = last[i]?.replies.map((r) => r.text).join("\n") ?? "";
      expect(last[i]?.awaiting?.slot).toBe("confirm");
      expect(text).toContain(p.name);
      expect(text).toContain(p.masked);
      for (const other of people.filter((o) => o !== p)) expect(text).not.toContain(other.masked);
    });
    const done = await Promise.all(people.map((p) => t.say(p.user, "确认提交")));
    const refs = done.map((d) => /YJ\d{8}-[0-9A-Z]{4}/.exec(d.replies[0]?.text ?? "")?.[0]);
    expect(new Set(refs).size).toBe(3);
  });
});
