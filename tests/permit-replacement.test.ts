/**
 * 居住证补领 was added as one file, intents/permit-replacement.yml. Submitted in the chat, it is an
 * application type the staff API lists, filters, labels and decides, in the file's own words.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { staffMetaSchema } from "../src/staff/routes/meta.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { bearer, staffToken } from "./helpers/staff.ts";

let t: TestApp;
let reviewer: string;

beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT_PER_MINUTE: "1000" }, { now: "2026-11-28T10:00:00+08:00" });
  reviewer = await staffToken(t, "reviewer");
});
afterAll(() => t.close());

const staff = (method: "GET" | "POST", url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1/staff${url}`, headers: bearer(reviewer), ...(payload ? { payload } : {}) });

describe("a flow added as one file", () => {
  it("is in the staff API: metadata, the type filter, the detail with its field labels, the decision notice", async () => {
    await t.say("lost-permit", "我的居住证丢了");
    await t.say(
      "lost-permit",
      "同意，我叫周九，身份证330203199001011236，手机13812345678，住鄞州区首南街道天童南路588号3幢201室",
    );
    const submitted = await t.say("lost-permit", "确认提交");
    const reference = /YJ\d{8}-[0-9A-Z]{4}/.exec(submitted.replies.map((r) => r.text).join("\n"))?.[0];
    expect(reference).toBeDefined();

    const meta = staffMetaSchema.parse((await staff("GET", "/meta")).json());
    const type = meta.applicationTypes.find((a) => a.type === "permit_replacement");
    expect(type).toMatchObject({ label: "居住证补领", title: "居住证补领" });
    expect(type?.fields).toContainEqual({ key: "reason", label: "补领原因" });

    const list = await staff("GET", "/applications?type=permit_replacement&status=pending");
    expect(list.statusCode).toBe(200);
    const items = (list.json() as { items: { id: string; reference: string; typeLabel: string }[] }).items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ reference, typeLabel: "居住证补领" });

    const detail = (await staff("GET", `/applications/${items[0]?.id}`)).json() as { data: Record<string, unknown> };
    expect(detail.data).toMatchObject({ reason: "遗失", address: "首南街道天童南路588号3幢201室", district: "鄞州区" });

    expect((await staff("POST", `/applications/${items[0]?.id}/decision`, { decision: "approve" })).statusCode).toBe(200);
    const notice = (await t.sql.get<{ text: string }>(
      `SELECT d.text FROM "Delivery" d JOIN "Resident" r ON r.id = d.residentId WHERE r.channelUserId = 'lost-permit' AND d.kind = 'notice'`,
    ))!;
    expect(notice.text).toContain(`您的居住证补领申请（编号 ${reference}）已审核通过`);
    expect(notice.text).toContain("领取时请带上本人身份证");
    expect(notice.text).not.toContain("说明：");
  });
});
