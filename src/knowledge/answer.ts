import type { Reply, Source } from "../domain/types.ts";
import type { Entry } from "./schema.ts";

/** What part of an entry the question asks about, beyond the summary. */
export type Aspect = "prepare" | "howTo" | "eligibility" | null;

const ASPECTS: [Exclude<Aspect, null>, RegExp][] = [
  ["prepare", /带什么|带啥|材料|准备|需要什么|要什么东西|证件|手续|documents|bring/],
  ["howTo", /哪里|哪儿|在哪|去哪|怎么办理|怎么申请|怎么报名|网上|线上|流程|入口|窗口|where/],
  ["eligibility", /条件|资格|符合|谁可以|能不能办|能办吗|可以办吗|能申请吗|eligible/],
];

/** Which detail to add to the summary, read from the resident's question. */
export function aspectOf(question: string): Aspect {
  const q = question.toLowerCase();
  for (const [aspect, re] of ASPECTS) if (re.test(q)) return aspect;
  return null;
}

const MAX_ITEMS = 4;

function bullets(items: readonly string[]): string {
  return items
    .slice(0, MAX_ITEMS)
    .map((i) => `· ${i}`)
    .join("\n");
}

function detail(entry: Entry, aspect: Aspect): string | null {
  if (aspect === "prepare" && entry.prepare.length) return `需要准备：\n${bullets(entry.prepare)}`;
  if (aspect === "howTo") {
    const lines: string[] = [];
    if (entry.howTo.online[0]) lines.push(`· 网上：${entry.howTo.online[0]}`);
    if (entry.howTo.inPerson[0]) lines.push(`· 线下：${entry.howTo.inPerson[0]}`);
    return lines.length ? `怎么办：\n${lines.join("\n")}` : null;
  }
  if (aspect === "eligibility" && entry.eligibility.length) return `谁可以办：\n${bullets(entry.eligibility)}`;
  return null;
}

/**
 * Specifics staff have filled in (phone, address, entry point…). A field still empty is named
 * only when the answer's own text points the resident to it ("见下方…"), and then honestly:
 * not yet published, ask a person — never an invented value.
 */
export function filledFields(entry: Entry, shownText = ""): string[] {
  const pointsBelow = shownText.includes("见下方");
  return Object.values(entry.configurable)
    .filter((f) => f.value || (pointsBelow && shownText.includes(f.label)))
    .map((f) => `${f.label}：${f.value ?? "暂未公布，具体以当地公布为准；也可以说“转人工”问工作人员"}`);
}

/** "来源：《A》《B》" — the last line of every catalogue answer. */
export function citation(entries: readonly Pick<Entry, "title">[]): string {
  return `来源：${entries.map((e) => `《${e.title}》`).join("")}`;
}

export const sourcesOf = (entries: readonly Entry[]): Source[] => entries.map((e) => ({ id: e.id, title: e.title }));

/** A command the entry's next step tells the resident to send, e.g. 回复"我要签注" → 我要签注. */
export function commandOf(entry: Entry): string | null {
  const m = /[说回复发送]{1,2}\s*[“"「]([^”"」]{2,10})[”"」]/.exec(entry.nextStep);
  return m?.[1] ?? null;
}

/** Options under an answer: the other question first, then the entry's own command, then related entries. */
export function choicesFor(entry: Entry, related: readonly Entry[], also?: Entry, action?: FlowAction): string[] {
  const out: string[] = [];
  const push = (c: string | null | undefined) => {
    if (c && !out.includes(c) && out.length < 4) out.push(c);
  };
  push(also?.title);
  push(action?.choice);
  push(commandOf(entry));
  for (const r of related) push(r.title);
  return out;
}

/** A guided flow that does what the entry describes, offered under the answer ("要我帮您在线办理…吗？"). */
export interface FlowAction {
  text: string;
  choice: string;
}

export type OfferReason = "wage" | "dispute" | "distress";

/** The offer of a person under a sensitive answer; "好" accepts it (the handoff skill escalates). */
export const handoffOffer: Record<OfferReason, string> = {
  wage: "被欠工资的事，工作人员可以帮您一起想办法。需要的话回复“好”，我马上帮您转给工作人员。",
  dispute: "纠纷的事，工作人员可以帮您进一步对接。需要的话回复“好”，我马上帮您转给工作人员。",
  distress: "想找人聊聊的话，回复“好”，我马上帮您联系工作人员。",
};

/** A catalogue answer sized for a phone: summary, the detail asked for, the next step, filled-in specifics, the source. */
export function composeAnswer(
  entry: Entry,
  opts: {
    question: string;
    related: readonly Entry[];
    also?: Entry | undefined;
    offer?: OfferReason | undefined;
    action?: FlowAction | null | undefined;
  },
): Reply {
  const parts = [entry.summary.trim()];
  const extra = detail(entry, aspectOf(opts.question));
  if (extra) parts.push(extra);
  parts.push(`👉 ${entry.nextStep.trim()}`);
  // The next step usually names the flow's command already; otherwise offer it in words.
  if (opts.action && !entry.nextStep.includes(opts.action.choice)) parts.push(opts.action.text);
  const fields = filledFields(entry, parts.join("\n"));
  if (fields.length) parts.push(fields.join("\n"));
  if (opts.offer) parts.push(handoffOffer[opts.offer]);
  if (opts.also) parts.push(`您还问到了“${opts.also.title}”，点下面的第一个选项就能看到。`);
  parts.push(citation([entry]));
  return {
    intent: "faq",
    text: parts.join("\n\n"),
    sources: sourcesOf([entry]),
    choices: choicesFor(entry, opts.related, opts.also, opts.action ?? undefined),
  };
}

/** An answer written by the LLM from retrieved entries: its text, then the main entry's next step, specifics and sources. */
export function composeLlmAnswer(
  text: string,
  cited: readonly Entry[],
  opts: {
    related: readonly Entry[];
    also?: Entry | undefined;
    offer?: OfferReason | undefined;
    action?: FlowAction | null | undefined;
  },
): Reply {
  const main = cited[0]!;
  const parts = [text.trim(), `👉 ${main.nextStep.trim()}`];
  if (opts.action && !main.nextStep.includes(opts.action.choice)) parts.push(opts.action.text);
  const fields = cited.flatMap((e) => filledFields(e, parts.join("\n")));
  if (fields.length) parts.push(fields.join("\n"));
  if (opts.offer) parts.push(handoffOffer[opts.offer]);
  if (opts.also) parts.push(`您还问到了“${opts.also.title}”，点下面的第一个选项就能看到。`);
  parts.push(citation(cited));
  return {
    intent: "faq",
    text: parts.join("\n\n"),
    sources: sourcesOf(cited),
    choices: choicesFor(main, opts.related, opts.also, opts.action ?? undefined),
  };
}

/** "Did you mean…": two or three entries are about equally likely. */
export function composeClarify(candidates: readonly Entry[]): Reply {
  return {
    intent: "clarify",
    text: "您想问的是下面哪一个？点选或回复数字就行 😊",
    choices: candidates.map((c) => c.title),
  };
}

/** What the assistant can help with, said whenever it cannot. */
const CAN_HELP =
  "我可以回答在宁波居住、办事的问题：居住登记、居住证和签注、积分、孩子上学、社保、住房、就业培训、欠薪维权、看病防疫等，" +
  "也可以帮您在线办理居住登记、注销登记和居住证签注。";

export function composeOutOfScope(reason: "injection" | "topic"): Reply {
  const lead =
    reason === "injection"
      ? "不好意思，这个要求我没办法照做 🙏 我只按甬居助手的本职来回答。"
      : "不好意思，这个问题超出了我能帮忙的范围 🙏";
  return { intent: "out_of_scope", text: `${lead}\n${CAN_HELP}\n有这方面的问题，直接问我就好。` };
}

export function composeUnknown(hint: readonly Entry[]): Reply {
  const guess = hint.length ? "\n您是不是想问下面这些？点选就行。" : "";
  return {
    intent: "fallback",
    text: `不好意思，这个我没太看懂，也可能资料里还没有 🙏 我已经记下来，请工作人员补充。\n${CAN_HELP}\n您可以换个说法再问，或者说“转人工”找工作人员。${guess}`,
    choices: hint.length ? hint.slice(0, 3).map((e) => e.title) : ["居住证怎么办", "我要登记", "我要签注", "转人工"],
  };
}

/** Signposting for words of distress: emergency numbers first, then the configured hotline, then a person. */
export function composeDistress(counseling: Entry | undefined, offerPerson: boolean): Reply {
  const hotline = counseling?.configurable.crisisHotline?.value;
  const lines = [
    "听到您这么说，我很担心您。您的安全最重要。",
    "如果您现在有危险，或者有伤害自己的念头，请马上拨打 110（报警）或 120（急救），或者请身边的人陪您去最近的医院。",
  ];
  if (hotline) lines.push(`也可以拨打心理援助热线：${hotline}，有专业的人陪您聊聊。`);
  if (!offerPerson) {
    lines.push("您不是一个人，工作人员已经在安排，会尽快回复您。");
    return { intent: "distress", text: lines.join("\n") };
  }
  lines.push("您不是一个人。我可以马上帮您联系工作人员，回复“好”就行。");
  return { intent: "distress", text: lines.join("\n"), choices: ["好"] };
}

export function composeFeedbackThanks(helpful: boolean): Reply {
  return helpful
    ? { intent: "feedback", text: "谢谢您的反馈！能帮上忙我很开心 😊 还有问题随时问我。" }
    : {
        intent: "feedback",
        text: "谢谢您告诉我，抱歉没帮上忙 🙏 我已经记下来，工作人员会据此改进。您可以换个说法再问，或者说“转人工”找工作人员。",
      };
}
