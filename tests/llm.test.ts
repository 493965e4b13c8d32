import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { chineseNumber, quantitiesOf } from "../src/llm/client.ts";
import { maskPersonalData } from "../src/llm/mask.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";

/** What the fake endpoint does with the next request. */
interface Behaviour {
  status?: number;
  delayMs?: number;
  /** The assistant message content, computed from the request. */
  content?: (req: ChatRequest) => string;
}
interface ChatRequest {
  model: string;
  messages: { role: string; content: string }[];
}

let server: Server;
let t: TestApp;
let behaviour: Behaviour = {};
const received: ChatRequest[] = [];
let n = 0;
const user = () => `llm-${++n}`;

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = "";
    req.on("data", (c) => {
      data += c;
    });
    req.on("end", () => resolve(data));
  });
}

/** A small server speaking the OpenAI chat completions API, like any compatible endpoint. */
function startFakeLlm(): Promise<number> {
  server = createServer(async (req, res) => {
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res.writeHead(404).end();
      return;
    }
    const request = JSON.parse(await body(req)) as ChatRequest;
    received.push(request);
    const b = behaviour;
    if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
    if (res.destroyed) return;
    if (b.status && b.status !== 200) {
      res.writeHead(b.status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "upstream exploded", type: "server_error" } }));
      return;
    }
    const content = b.content?.(request) ?? "";
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: "chatcmpl-test",
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: request.model,
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
    );
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

const userText = (r: ChatRequest) => r.messages.find((m) => m.role === "user")?.content ?? "";
const isClassify = (r: ChatRequest) => (r.messages[0]?.content ?? "").includes("分类器");
/** Entry ids the request put in front of the model. */
const offered = (r: ChatRequest) => [...userText(r).matchAll(/【条目id：([a-z.-]+)】/g)].map((m) => m[1]!);
const grounded = (text: string) => (r: ChatRequest) => JSON.stringify({ answer: text, cites: [offered(r)[0]] });

beforeAll(async () => {
  const port = await startFakeLlm();
  t = await createTestApp({
    OPENAI_API_KEY: "sk-test",
    OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
    OPENAI_MODEL: "test-model",
    LLM_TIMEOUT_MS: "400",
  });
});
afterAll(async () => {
  await t.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  behaviour = {};
  received.length = 0;
});

describe("the optional LLM", () => {
  it("turns the retrieved entries into a direct answer, citing them, through the real openai client", async () => {
    behaviour = { content: grounded("居住证每年签注一次，在周年日前一个月内办理就行。") };
    const res = await t.say(user(), "居住证一年要续几次");
    const [reply] = res.replies;
    expect(reply?.text.startsWith("居住证每年签注一次，在周年日前一个月内办理就行。")).toBe(true);
    expect(reply?.sources).toEqual([
      { id: "permit.endorsement", title: "居住证签注（续签）" },
      { id: "national.permit-regulations.art10", title: "《居住证暂行条例》第十条" },
    ]);
    expect(reply?.text).toMatch(/来源：《居住证签注（续签）》（\d{4}年\d{1,2}月\d{1,2}日核对）·《居住证暂行条例》第十条$/);
    // The model was given the retrieved entries and told to stay within them.
    expect(received).toHaveLength(1);
    expect(received[0]!.model).toBe("test-model");
    expect(offered(received[0]!)[0]).toBe("permit.endorsement");
    expect(received[0]!.messages[0]!.content).toContain("只能依据");
  });

  it("falls back to the retrieval answer on a timeout", async () => {
    behaviour = { delayMs: 1500, content: grounded("太晚了") };
    const res = await t.say(user(), "居住证一年要续几次");
    const [reply] = res.replies;
    expect(reply?.text).not.toContain("太晚了");
    expect(reply?.text).toContain("每年要签注一次");
    expect(reply?.sources?.[0]?.id).toBe("permit.endorsement");
  });

  it("falls back to the retrieval answer on an error", async () => {
    behaviour = { status: 500 };
    const res = await t.say(user(), "失业金怎么领");
    expect(res.replies[0]?.sources?.[0]?.id).toBe("insurance.unemployment");
    expect(res.replies[0]?.text).toContain(t.ctx.catalogue.get("insurance.unemployment")!.summary.slice(0, 20));
  });

  it("discards an answer that cites an entry that was not retrieved, or cites nothing", async () => {
    behaviour = { content: () => JSON.stringify({ answer: "去法院起诉就行。", cites: ["legal.aid"] }) };
    let res = await t.say(user(), "失业金怎么领");
    expect(res.replies[0]?.text).not.toContain("去法院起诉就行");
    expect(res.replies[0]?.sources?.map((s) => s.id)).toEqual(["insurance.unemployment", "hotline.12333"]);

    behaviour = { content: () => JSON.stringify({ answer: "失业金可以领。", cites: [] }) };
    res = await t.say(user(), "失业金怎么领");
    expect(res.replies[0]?.text).not.toContain("失业金可以领。");
  });

  it("discards unusable output and invented numbers", async () => {
    behaviour = { content: () => "我觉得可以，具体问问别人吧" };
    let res = await t.say(user(), "失业金怎么领");
    expect(res.replies[0]?.text).not.toContain("我觉得可以");

    behaviour = { content: (r) => JSON.stringify({ answer: "打电话 0574-88888888 就能领。", cites: [offered(r)[0]] }) };
    res = await t.say(user(), "失业金怎么领");
    expect(res.replies[0]?.text).not.toContain("88888888");
  });

  it("discards amounts and durations written in Chinese numerals that the entries do not give", async () => {
    for (const invented of ["失业金每月能领五百元。", "失业金最长能领两个月。", "申请后三十天内到账。"]) {
      behaviour = { content: grounded(invented) };
      const res = await t.say(user(), "失业金怎么领");
      expect(res.replies[0]?.text, invented).not.toContain(invented);
      expect(res.replies[0]?.sources?.[0]?.id).toBe("insurance.unemployment");
    }
  });

  it("keeps an answer whose numbers all come from the entry or the national rule, however written", async () => {
    behaviour = { content: grounded("每年签注一次，在满一年之前的一个月内到派出所办。") };
    const res = await t.say(user(), "居住证一年要续几次");
    expect(res.replies[0]?.text.startsWith("每年签注一次，在满一年之前的一个月内到派出所办。")).toBe(true);
  });

  it("keeps the topic and the part asked for a follow-up, and cites the topic's entry", async () => {
    const u = user();
    behaviour = { content: grounded("办居住证先做居住登记，再到派出所申领。") };
    await t.say(u, "居住证怎么办");
    received.length = 0;
    behaviour = { content: grounded("带上身份证、照片和住址或工作的证明。") };
    const res = await t.say(u, "要带什么");
    const [reply] = res.replies;
    expect(offered(received[0]!)[0]).toBe("permit.application");
    expect(userText(received[0]!)).toContain("接着“居住证申领”的追问");
    expect(userText(received[0]!)).toContain("居民这次问的是：要准备什么");
    // The national rule the part rests on is given to the model, and cited after the entry.
    expect(userText(received[0]!)).toContain("《居住证暂行条例》第九条");
    expect(reply?.text.startsWith("带上身份证、照片和住址或工作的证明。")).toBe(true);
    expect(reply?.sources?.map((s) => s.id)).toEqual(["permit.application", "national.permit-regulations.art9"]);
  });

  it("discards an answer with wording meant for staff", async () => {
    behaviour = { content: grounded("具体地址暂未公布。") };
    const res = await t.say(user(), "失业金怎么领");
    expect(res.replies[0]?.text).not.toContain("未公布");
  });

  it("masks names, ID numbers, phone numbers and addresses before sending anything", async () => {
    behaviour = { content: grounded("居住证每年签注一次。") };
    await t.say(user(), "我叫王小明，身份证330203199001011234，手机13812345678，住在鄞州区中山东路123号5幢301室，居住证怎么签注");
    expect(received).toHaveLength(1);
    const sent = JSON.stringify(received[0]);
    for (const secret of ["王小明", "330203199001011234", "13812345678", "中山东路123号", "301室"]) {
      expect(sent).not.toContain(secret);
    }
    expect(userText(received[0]!)).toContain("居住证怎么签注");
  });

  it("helps pick the entry when retrieval finds two equally likely", async () => {
    behaviour = {
      content: (r) =>
        isClassify(r)
          ? JSON.stringify({ id: "labor.wage-arrears" })
          : JSON.stringify({ answer: "工资被拖欠，先留好证据，再去投诉。", cites: ["labor.wage-arrears"] }),
    };
    const res = await t.say(user(), "工资");
    expect(res.replies[0]?.sources?.[0]?.id).toBe("labor.wage-arrears");
    expect(received.some(isClassify)).toBe(true);
  });

  it("asks back as usual when the model cannot tell", async () => {
    behaviour = { content: (r) => (isClassify(r) ? JSON.stringify({ id: null }) : "") };
    const res = await t.say(user(), "工资");
    expect(res.replies[0]?.intent).toBe("clarify");
  });
});

describe("the guard against invented specifics", () => {
  it("reads Chinese numerals", () => {
    expect(chineseNumber("三十")).toBe(30);
    expect(chineseNumber("五百")).toBe(500);
    expect(chineseNumber("两")).toBe(2);
    expect(chineseNumber("一百二十")).toBe(120);
    expect(chineseNumber("两万")).toBe(20000);
    expect(chineseNumber("半")).toBe(0.5);
  });

  it("puts quantities written either way in one form", () => {
    expect([...quantitiesOf("三十天内，五百元，两个月，半年")]).toEqual(["30天", "500元", "2月", "0.5年"]);
    expect([...quantitiesOf("30 天、7天和1日；500块钱；2个月")]).toEqual(["30天", "7天", "1天", "500元", "2月"]);
    // 十分方便 is an adverb, not ten points.
    expect([...quantitiesOf("十分方便")]).toEqual([]);
  });
});

describe("masking", () => {
  it("keeps the question readable while hiding the person", () => {
    expect(maskPersonalData("我是房东，租客要怎么报")).toBe("我是房东，租客要怎么报");
    expect(maskPersonalData("我叫张三，电话0574-87654321")).toBe("我叫[姓名]，电话[电话]");
    expect(maskPersonalData("李先生住在海曙区某某小区3栋2单元")).not.toMatch(/李|3栋/);
  });
});
