import type { Reply, Source } from "../domain/types.ts";
import type { Catalogue } from "./catalogue.ts";
import { partHeadings, partQuestions } from "./parts.ts";
import { type Asked, type Entry, type NationalFact, type PartKey, partKeys } from "./schema.ts";

/** What composing an answer needs besides the entry: national facts, related entries, offers. */
export interface AnswerContext {
  catalogue: Pick<Catalogue, "fact" | "hotlines">;
  related: readonly Entry[];
  /** The other entry of a two-question message (named in the choices of a summary answer). */
  also?: Entry | undefined;
  offer?: OfferReason | undefined;
  action?: FlowAction | null | undefined;
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

/** Parts whose answer is a step the resident takes: the guided flow is offered under them. */
const ACTION_PARTS: readonly Asked[] = ["summary", "prepare", "where", "online"];

/** "2026-11-28" → "2026年11月28日". */
function reviewedOn(date: string): string {
  const [y, m, d] = date.split("-").map(Number);
  return `${y}年${m}月${d}日`;
}

/**
 * What to say when an entry has no such part: never a dead end, but the route that works today —
 * the entry's own contact part when it has one, otherwise the government service hotline and a person.
 */
const MISSING_LEAD: Record<PartKey, string> = {
  eligibility: "您符不符合条件，要看具体情况。",
  prepare: "具体要带哪些材料，办理前先问清楚最省事。",
  where: "具体在哪里办，先问一下最省事。",
  online: "网上能不能办、在哪里办，先问一下最省事。",
  cost: "收不收费、收多少，先问清楚最稳妥。",
  duration: "要多长时间，各区可能不一样，先问清楚最稳妥。",
  deadline: "有没有时间要求，先问清楚最稳妥。",
  contact: "",
};
const ASK_12345 =
  "打 12345 政务服务便民热线，告诉他们您要办的事，他们会告诉您宁波这边怎么办；也可以说“转人工”，请工作人员帮您问。";

function missingPart(entry: Entry, part: PartKey): { text: string; national: readonly string[]; uses: readonly string[] } {
  const contact = entry.parts.contact;
  if (contact && part !== "contact") {
    return { text: `${MISSING_LEAD[part]}\n${contact.text.trim()}`, national: contact.national, uses: contact.uses };
  }
  return { text: `${MISSING_LEAD[part]}${ASK_12345}`.trim(), national: ["hotline.12345"], uses: [] };
}

/** "label：value" for each specific staff have filled in (an empty one is never shown). */
function specifics(entry: Entry, keys?: readonly string[]): string[] {
  const fields = keys ? keys.map((k) => entry.configurable[k]).filter((f) => f !== undefined) : Object.values(entry.configurable);
  return fields.filter((f) => f.value).map((f) => `${f.label}：${f.value}`);
}

/** The national facts an answer rests on: those named, then every hotline whose number the text gives. */
function nationalCited(catalogue: AnswerContext["catalogue"], named: Iterable<string>, text: string): NationalFact[] {
  const out = new Map<string, NationalFact>();
  for (const id of named) {
    const f = catalogue.fact(id);
    if (f) out.set(f.id, f);
  }
  for (const h of catalogue.hotlines) if (numberIn(h, text)) out.set(h.id, h);
  return [...out.values()];
}

const numberPatterns = new WeakMap<NationalFact, RegExp>();
/** The hotline's number as a number of its own (12333 is not in 0574-123334). */
function numberIn(h: NationalFact, text: string): boolean {
  if (!h.number || !text.includes(h.number)) return false;
  let re = numberPatterns.get(h);
  if (!re) {
    re = new RegExp(`(?<![\\d-])${h.number}(?!\\d)`);
    numberPatterns.set(h, re);
  }
  return re.test(text);
}

/** "来源：《A》（2026年11月28日核对）·《居住证暂行条例》第十条" — the last line of every catalogue answer. */
export function citation(
  entries: readonly Pick<Entry, "title" | "lastReviewed">[],
  national: readonly NationalFact[] = [],
): string {
  const own = entries.map((e) => `《${e.title}》（${reviewedOn(e.lastReviewed)}核对）`);
  return `来源：${[...own, ...national.map((f) => f.title)].join("·")}`;
}

/** The API's `sources`: the entries best first, then the national facts. */
export const sourcesOf = (entries: readonly Entry[], national: readonly NationalFact[] = []): Source[] => [
  ...entries.map((e) => ({ id: e.id, title: e.title })),
  ...national.map((f) => ({ id: f.id, title: f.title })),
];

/** A command the entry's next step tells the resident to send, e.g. 回复"我要签注" → 我要签注. */
export function commandOf(entry: Entry): string | null {
  const m = /[说回复发送]{1,2}\s*[“"「]([^”"」]{2,10})[”"」]/.exec(entry.nextStep);
  return m?.[1] ?? null;
}

/**
 * Options under an answer. A general answer offers the other question, the entry's command and
 * related entries; a part answer offers the command and other parts of the same entry (a follow-up
 * the topic answers), then a related entry.
 */
export function choicesFor(entry: Entry, asked: readonly PartKey[], ctx: AnswerContext): string[] {
  const out: string[] = [];
  const push = (c: string | null | undefined) => {
    if (c && !out.includes(c) && out.length < 4) out.push(c);
  };
  push(ctx.also?.title);
  push(ctx.action?.choice);
  push(commandOf(entry));
  if (asked.length) {
    const others = partKeys.filter((k) => entry.parts[k] && !asked.includes(k)).slice(0, 2);
    for (const k of others) push(partQuestions[k]);
  }
  for (const r of ctx.related) push(r.title);
  return out;
}

/**
 * A catalogue answer sized for a phone. A general question gets the summary and the next step; a
 * question about parts leads with those parts (each under a short heading when there are
 * several). Then the specifics staff have filled in, the guided flow or a person when that
 * helps, and the citation: the entry with its review date, then the national facts.
 */
export function composeAnswer(entry: Entry, asked: readonly PartKey[], ctx: AnswerContext): Reply {
  const blocks: string[] = [];
  const named = new Set<string>();
  let shown: string[] = [];
  if (!asked.length) {
    blocks.push(entry.summary.trim(), `👉 ${entry.nextStep.trim()}`);
    for (const id of entry.national) named.add(id);
    shown = specifics(entry);
    // The next step usually names the flow's command already; otherwise offer it in words.
    if (ctx.action && !entry.nextStep.includes(ctx.action.choice)) blocks.push(ctx.action.text);
  } else {
    const uses = new Set<string>();
    for (const key of asked) {
      const part = entry.parts[key] ?? missingPart(entry, key);
      const text = part.text.trim();
      blocks.push(asked.length > 1 ? `【${partHeadings[key]}】\n${text}` : text);
      for (const id of part.national) named.add(id);
      for (const u of part.uses) uses.add(u);
    }
    shown = specifics(entry, [...uses]);
    const action = ctx.action;
    if (action && asked.some((k) => ACTION_PARTS.includes(k)) && !blocks.join("\n").includes(action.choice)) {
      blocks.push(`想在线办理的话，直接回复“${action.choice}”，我一步步帮您。`);
    }
  }
  if (shown.length) blocks.push(shown.join("\n"));
  if (ctx.offer) blocks.push(handoffOffer[ctx.offer]);
  if (ctx.also && !asked.length) blocks.push(`您还问到了“${ctx.also.title}”，点下面的第一个选项就能看到。`);
  const body = blocks.join("\n\n");
  const national = nationalCited(ctx.catalogue, named, body);
  return {
    intent: "faq",
    text: `${body}\n\n${citation([entry], national)}`,
    sources: sourcesOf([entry], national),
    choices: choicesFor(entry, asked, ctx),
  };
}

/**
 * An answer written by the LLM from retrieved entries: its text, then the main entry's next step
 * (for a general question), the specifics, and the citation of every entry and national fact it
 * rests on.
 */
export function composeLlmAnswer(text: string, cited: readonly Entry[], asked: readonly PartKey[], ctx: AnswerContext): Reply {
  const main = cited[0]!;
  const blocks = [text.trim()];
  const named = new Set<string>();
  if (!asked.length) {
    blocks.push(`👉 ${main.nextStep.trim()}`);
    for (const id of main.national) named.add(id);
  }
  for (const key of asked) for (const id of main.parts[key]?.national ?? []) named.add(id);
  if (ctx.action && !blocks.join("\n").includes(ctx.action.choice)) blocks.push(ctx.action.text);
  const shown = asked.length
    ? specifics(main, [...new Set(asked.flatMap((k) => main.parts[k]?.uses ?? []))])
    : cited.flatMap((e) => specifics(e));
  if (shown.length) blocks.push(shown.join("\n"));
  if (ctx.offer) blocks.push(handoffOffer[ctx.offer]);
  if (ctx.also) blocks.push(`您还问到了“${ctx.also.title}”，点下面的第一个选项就能看到。`);
  const body = blocks.join("\n\n");
  const national = nationalCited(ctx.catalogue, named, body);
  return {
    intent: "faq",
    text: `${body}\n\n${citation(cited, national)}`,
    sources: sourcesOf(cited, national),
    choices: choicesFor(main, asked, ctx),
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

function askedWords(parts: readonly Asked[]): string {
  const words = parts.filter((p) => p !== "summary").map((p) => partHeadings[p]);
  return words.length ? `（${words.join("、")}）` : "";
}

/** A follow-up that fits both entries of the last answer: which one? */
export function composeClarifyTopic(candidates: readonly Entry[], parts: readonly Asked[]): Reply {
  return {
    intent: "clarify",
    text: `刚才说到了${candidates.map((c) => `“${c.title}”`).join("和")}，您问的${askedWords(parts)}是哪一个？点选或回复数字就行 😊`,
    choices: candidates.map((c) => c.title),
  };
}

/** Topics offered when a follow-up has nothing to follow. */
const COMMON_TOPICS = ["居住证申领", "居住登记申报", "居住证签注（续签）", "社会保险参保"];

/** "要带什么" with no topic yet: ask what it is about. */
export function composeNeedTopic(parts: readonly PartKey[]): Reply {
  return {
    intent: "clarify",
    text: `您想问的是办哪件事${askedWords(parts)}？告诉我事情的名字就行，比如“居住证”“居住登记”“社保”，或者点下面的选项 😊`,
    choices: COMMON_TOPICS,
  };
}

/** What the assistant can help with, said whenever it cannot. */
const CAN_HELP =
  "我可以回答在宁波居住、办事的问题：居住登记、居住证和签注、积分、孩子上学、社保、住房、就业培训、欠薪维权、看病防疫等，" +
  "也可以帮您在线办理居住登记、注销登记和居住证签注。";

export function composeOutOfScope(reason: "injection" | "topic" | "task" | "other_city", city?: string): Reply {
  if (reason === "other_city") {
    const place = city ?? "外地";
    return {
      intent: "other_city",
      text:
        `不好意思，我是宁波的甬居助手，只熟悉宁波的政策，${place}的规定可能不一样，我不能拿宁波的办法来回答 🙏\n` +
        `${place}的事，最准的是打${place}当地的 12345 政务服务便民热线问。\n` +
        "如果您在宁波生活、或者打算来宁波，欢迎问我宁波这边怎么办。",
    };
  }
  if (reason === "task") {
    return {
      intent: "out_of_scope",
      text:
        "不好意思，写代码、写文章、翻译、做作业这类事我帮不上忙 🙏 我是甬居助手，只回答在宁波居住、办事的问题。\n" +
        `${CAN_HELP}\n有这方面的问题，直接问我就好。`,
    };
  }
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

/** Signposting for words of distress: emergency numbers first, then the psychological assistance hotlines, then a person. */
export function composeDistress(counseling: Entry | undefined, offerPerson: boolean): Reply {
  const local = counseling?.configurable.crisisHotline?.value;
  const lines = [
    "听到您这么说，我很担心您。您的安全最重要。",
    "如果您现在有危险，或者有伤害自己的念头，请马上拨打 110（报警）或 120（急救），或者请身边的人陪您去最近的医院。",
    "也可以拨打全国心理援助热线 12356，有专业的人陪您聊聊。",
  ];
  if (local) lines.push(`本地心理援助热线：${local}`);
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
