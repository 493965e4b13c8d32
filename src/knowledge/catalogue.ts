import { Analyzer, type WeightedTokens } from "../nlu/analyzer.ts";
import { Bm25Index } from "../nlu/bm25.ts";
import { isInjection, isTask, otherCityOf, outOfScopeTopics } from "../nlu/intents.ts";
import { domainWords } from "../nlu/lexicon.ts";
import { memoizeRecent } from "../lib/memo.ts";
import { type PartKey, type PartsAsked, partsAsked } from "./parts.ts";
import { type Asked, type Entry, type NationalFact, partKeys } from "./schema.ts";

export interface SearchHit {
  id: string;
  title: string;
  score: number;
  entry: Entry;
}

/** Why a message is not answered from the catalogue. */
export type OutOfScopeReason = "injection" | "topic" | "task" | "other_city";

/** What retrieval makes of a message. */
export type Understanding =
  /**
   * `hits[0]` answers the (main) question, with the parts it asks for (none: the general answer);
   * `also` is the entry a second question in the message asks about. `fromTopic`: a follow-up
   * answered from the conversation's topic.
   */
  | {
      kind: "answer";
      hits: SearchHit[];
      parts: PartKey[];
      also?: { hit: SearchHit; parts: PartKey[] };
      fromTopic?: boolean;
    }
  /** Two or three entries are about equally likely: ask which one was meant. */
  | { kind: "clarify"; candidates: SearchHit[] }
  /** A follow-up that fits two recent topics: ask which one (the parts wait for the answer). */
  | { kind: "clarify_topic"; candidates: Entry[]; parts: Asked[] }
  /** A follow-up ("要带什么") with no topic to answer from: ask what it is about. */
  | { kind: "need_topic"; parts: PartKey[] }
  /** Not what the assistant is for: an attack on its instructions, an off-topic subject, a task, another city. */
  | { kind: "out_of_scope"; reason: OutOfScopeReason; city?: string }
  /** Nothing in the catalogue matches well enough. */
  | { kind: "unknown"; hits: SearchHit[] };

/** The conversation's topic as retrieval needs it: the entries last answered (main first), and parts waiting for a pick. */
export interface TopicContext {
  entries: readonly string[];
  pending?: readonly Asked[];
}

/** Field weights of the entry-level index: a title word says more than a word of the summary. */
const WEIGHTS = { title: 3, keywords: 2, examples: 1, summary: 1, category: 1, details: 0.3 };
/** How much the best single example question adds to the entry-level score. */
const EXAMPLE_WEIGHT = 1;
/** Bonus for covering the words of an entry's title (居住登记 alone means 居住登记申报, not 注销). */
const TITLE_BONUS = 8;
/** Below this score a match is too weak to answer from. */
const MIN_SCORE = 6;
/** A miss scoring at least this is offered as a "did you mean" choice. */
const HINT_MIN_SCORE = 4.5;
/** Without any domain word in the question, a match must be this strong. */
const MIN_SCORE_UNANCHORED = 12;
/** When an out-of-scope topic word is present, the rest of the question must still match this well. */
const MIN_SCORE_DESPITE_TOPIC = 10;
/** Runner-up within this share of the best: the two are about equally likely. */
const CLARIFY_RATIO = 0.95;
/** Where a message turns to a second question. */
const SECOND_QUESTION = /[?？!！；;]+|还有|另外|顺便问?一?下?|再问一?下?|还想问一?下?|以及|对了/;
/**
 * A clause that asks or requests something. In a message of several clauses, the others
 * ("她在家带孩子", "儿子帮我打的字") are context: their words count for less than the request's.
 */
const ASKING = /吗|么|呢|怎|如何|哪|谁|什么|多少|多久|几|能不能|可不可以|要不要|是不是|有没有|想|要|办|申请|请问|[?？]/;
/** A domain word this rare (idf; 居住证 ≈ 0.4, 社保 ≈ 1.8) names a topic on its own. */
const FIRM_TOPIC_IDF = 1.5;
/** Weight of the words that ask for a part, next to words that name the topic. */
const PART_WORD_WEIGHT = 0.5;
/** Weight of the words of a context clause next to an asking one. */
const CONTEXT_WEIGHT = 0.4;
/**
 * A follow-up's remaining words name a new topic only when the current topic scores below this
 * share of the best entry for them ("投诉" after 欠薪求助 stays on it; "那签注呢" moves on).
 */
const TOPIC_PRIOR = 0.6;
/** A message at most this long (normalised) that asks something and names no topic continues the topic. */
const ELLIPTICAL_LENGTH = 20;
/** What makes a message a question. */
const QUESTION_WORDS = /[吗嘛么呢？?]|[不没][。！!\s]*$|怎|什么|啥|哪|谁|多少|几|能不能|可不可以|是不是|有没有|行不行|要不要/;
/** Words that open a message by turning to something else. */
const SHIFT = /^(?:对了|另外|还有(?:个|一个)?|顺便问?一?下?|再问一?下?|还想问一?下?|换个问题|by the way|also)[，,。.\s]*/i;
/**
 * "为什么一定要身份证号": a reason is asked for, which no part of an entry gives — such a question
 * is not continued from the topic on length alone (staff see it among the unanswered).
 */
const WHY = /为什么|为啥|凭什么|干嘛要|干吗要|why/;
/** A follow-up word the topic's entry also uses names another topic only when it covers this share of that entry's title. */
const TITLE_NAMED = 0.4;

/**
 * The indexed catalogue: a pure function of validated entries and national facts, so staff can
 * publish a new version and the service rebuilds it without reading any file.
 */
export class Catalogue {
  readonly entries: readonly Entry[];
  readonly national: ReadonlyMap<string, NationalFact>;
  /** National hotlines, for citing a number an answer's text names. */
  readonly hotlines: readonly NationalFact[];
  readonly analyzer: Analyzer;
  private readonly byId: Map<string, Entry>;
  private readonly entryIndex: Bm25Index;
  private readonly exampleIndex: Bm25Index;
  /** Entry index of each document of the example index. */
  private readonly exampleOwner: number[];
  /** Scratch scores of the example index, all zero between queries (rank is synchronous). */
  private readonly exampleScores: Float64Array;
  /**
   * Normalised titles, so that a chosen option ("居住证签注（续签）") maps straight to its entry;
   * then normalised examples, so that a question asked exactly as an example does too.
   */
  private readonly titles = new Map<string, number>();
  /** Each entry's title tokens with their idf, for the title-coverage bonus. */
  private readonly titleTokens: { token: string; idf: number }[][];
  private readonly titleIdf: number[];
  /** Whole domain words: a question containing one is about what the catalogue covers. */
  private readonly anchors = new Set<string>();

  constructor(entries: readonly Entry[], national: readonly NationalFact[] = []) {
    this.entries = entries;
    this.national = new Map(national.map((f) => [f.id, f]));
    this.hotlines = national.filter((f) => f.number);
    this.byId = new Map(entries.map((e) => [e.id, e]));
    const terms = new Set<string>(domainWords);
    for (const e of entries) {
      for (const k of e.keywords) if (!/\s/.test(k)) terms.add(k);
      for (const part of e.title.split(/[（）()、与和"“”\s]+/)) if (part.length >= 2) terms.add(part);
    }
    const corpus = entries.flatMap((e) => [e.title, e.summary, ...e.examples, ...e.keywords]);
    this.analyzer = new Analyzer(corpus, [...terms]);
    const a = this.analyzer;
    const toks = (texts: readonly string[]) => texts.flatMap((t) => a.tokens(t));

    this.entryIndex = new Bm25Index(
      entries.map((e) => ({
        id: e.id,
        fields: [
          { tokens: toks([e.title]), weight: WEIGHTS.title },
          { tokens: toks(e.keywords), weight: WEIGHTS.keywords },
          { tokens: toks(e.examples), weight: WEIGHTS.examples },
          { tokens: toks([e.summary]), weight: WEIGHTS.summary },
          { tokens: toks([e.category]), weight: WEIGHTS.category },
          {
            tokens: toks([...partKeys.flatMap((k) => (e.parts[k] ? [e.parts[k].text] : [])), e.nextStep]),
            weight: WEIGHTS.details,
          },
        ],
      })),
    );

    this.exampleOwner = [];
    const exampleDocs = entries.flatMap((e, i) =>
      [e.title, ...e.examples].map((q, j) => {
        this.exampleOwner.push(i);
        return { id: `${e.id}#${j}`, fields: [{ tokens: a.tokens(q), weight: 1 }] };
      }),
    );
    this.exampleIndex = new Bm25Index(exampleDocs);
    this.exampleScores = new Float64Array(exampleDocs.length);
    entries.forEach((e, i) => {
      this.titles.set(this.key(a.normalize(e.title)), i);
    });
    // An example asked word for word is answered by its entry, whatever else the message looks
    // like (staff attach unanswered questions as examples: "快递柜坏了找谁" must then be answered,
    // not declined as off-topic). A title wins over an example; the first entry over later ones.
    entries.forEach((e, i) => {
      for (const q of e.examples) {
        const k = this.key(a.normalize(q));
        if (k && !this.titles.has(k)) this.titles.set(k, i);
      }
    });
    this.titleTokens = entries.map((e) =>
      [...new Set(a.tokens(e.title))].map((token) => ({ token, idf: this.entryIndex.idfOf(token) })),
    );
    this.titleIdf = this.titleTokens.map((ts) => ts.reduce((s, t) => s + t.idf, 0));
    for (const term of terms) {
      const normalized = a.normalize(term);
      for (const word of normalized.split(" ")) if (word.length >= 2 && this.entryIndex.has(word)) this.anchors.add(word);
    }
  }

  private key(normalized: string): string {
    return normalized.replace(/[\p{P}\p{S}\s]/gu, "");
  }

  get(id: string): Entry | undefined {
    return this.byId.get(id);
  }

  fact(id: string): NationalFact | undefined {
    return this.national.get(id);
  }

  /** The k best entries for a question, best first (only entries with some match). */
  search(text: string, k = 3): SearchHit[] {
    const normalized = this.analyzer.normalize(text);
    return this.rank(this.analyzer.queryTokens(normalized), normalized).slice(0, k);
  }

  /**
   * Decides what a message asks on its own: the entry (or entries) and parts to answer, a
   * question back when two or three are equally likely, or that it is out of scope / not understood.
   */
  readonly understand: (text: string) => Understanding = memoizeRecent((text: string) => this.understandUncached(text));

  /** A message normalised, and the parts it asks: computed once per message, shared by every decision on it. */
  private readonly read: (text: string) => { normalized: string; asked: PartsAsked } = memoizeRecent((text: string) => {
    const normalized = this.analyzer.normalize(text);
    return { normalized, asked: partsAsked(normalized, { normalized: true }) };
  });

  /**
   * The same decision inside a conversation: a message that asks for a part ("那要带什么材料",
   * "网上能办吗", "那我老婆呢") and names no other topic is answered from the topic; a message
   * naming a new topic replaces it.
   */
  understandInContext(text: string, topic: TopicContext | undefined): Understanding {
    const base = this.understand(text);
    if (base.kind === "out_of_scope") return base;
    const { asked } = this.read(text);
    if (!topic && !asked.followUp) return base;
    const topicEntries = (topic?.entries ?? []).map((id) => this.byId.get(id)).filter((e): e is Entry => Boolean(e));

    // Parts asked earlier wait for the resident to say which topic (or which entry of two).
    if (topic?.pending?.length && !asked.parts.length && base.kind === "answer" && !base.also) {
      const pending = topic.pending.filter((p): p is PartKey => p !== "summary");
      return { ...base, parts: pending, fromTopic: topicEntries.some((e) => e.id === base.hits[0]!.id) };
    }
    // A short question that names nothing the catalogue knows ("可以找人帮忙办吗", "医生在吗")
    // continues the conversation's one topic: in a conversation, what is left unsaid is the topic.
    const elliptical =
      base.kind === "unknown" &&
      topicEntries.length === 1 &&
      this.read(text).normalized.length <= ELLIPTICAL_LENGTH &&
      QUESTION_WORDS.test(text) &&
      !WHY.test(text);
    if (!asked.followUp && !elliptical) return base;
    // "对了 社保从老家转过来咋弄": a message that opens by turning to something else is a new
    // question when it names a topic on its own.
    if (
      SHIFT.test(this.read(text).normalized) &&
      base.kind === "answer" &&
      !topicEntries.some((e) => e.id === base.hits[0]!.id)
    ) {
      return base;
    }
    if (!topicEntries.length) {
      return base.kind === "unknown" && asked.parts.length && !this.namesTopic(asked.rest)
        ? { kind: "need_topic", parts: asked.parts }
        : base;
    }
    if (this.namesOtherTopic(asked.subject, topicEntries)) return base;
    if (topicEntries.length > 1) {
      return { kind: "clarify_topic", candidates: topicEntries, parts: asked.parts.length ? asked.parts : ["summary"] };
    }
    const entry = topicEntries[0]!;
    return {
      kind: "answer",
      hits: [{ id: entry.id, title: entry.title, score: Number.POSITIVE_INFINITY, entry }],
      parts: asked.parts,
      fromTopic: true,
    };
  }

  /** True when the words left of a follow-up name a catalogue topic on their own. */
  private namesTopic(rest: string): boolean {
    if (!rest) return false;
    const tokens = this.analyzer.queryTokens(rest);
    return this.isAnchored(tokens) && this.confident(this.rank(tokens), tokens);
  }

  /** True when the words left of a follow-up clearly name another entry than the topic's. */
  private namesOtherTopic(rest: string, topic: readonly Entry[]): boolean {
    if (!rest) return false;
    const tokens = this.analyzer.queryTokens(rest);
    if (!this.isAnchored(tokens)) return false;
    const hits = this.rank(tokens);
    if (!this.confident(hits, tokens)) return false;
    const best = hits[0]!;
    if (topic.some((e) => e.id === best.id)) return false;
    const onTopic = hits.find((h) => topic.some((e) => e.id === h.id))?.score ?? 0;
    if (onTopic >= TOPIC_PRIOR * best.score) return false;
    // A word the topic's own entry uses is a detail of the topic ("离职多久不去领就作废了" after
    // 失业保险: how one left the job matters to it), unless it names the other entry's title
    // ("社保要带什么" after 居住证申领, which mentions 社保 in passing).
    const own = topic.map((e) => this.entries.indexOf(e));
    const foreign = [...tokens].some(
      ([t, w]) => w === 1 && this.anchors.has(t) && !own.some((i) => this.entryIndex.contains(i, t)),
    );
    return foreign || this.titleCoverage(this.entries.indexOf(best.entry), tokens) >= TITLE_NAMED;
  }

  private understandUncached(text: string): Understanding {
    if (isInjection(text)) return { kind: "out_of_scope", reason: "injection" };
    if (isTask(text)) return { kind: "out_of_scope", reason: "task" };
    const city = otherCityOf(text);
    if (city) return { kind: "out_of_scope", reason: "other_city", city };
    const { normalized, asked } = this.read(text);
    const plain = this.analyzer.queryTokens(normalized);
    const { tokens, whole } = this.rankRequest(text, normalized, this.partWordsLighter(asked, normalized, plain));
    const parts = asked.parts;
    if (Number.isFinite(whole[0]?.score ?? 0)) {
      const topics = outOfScopeTopics(normalized);
      if (topics.length) {
        const rest: WeightedTokens = new Map(
          [...tokens].filter(([t]) => this.anchors.has(t) || !topics.some((w) => t.includes(w) || w.includes(t))),
        );
        // Only a clear domain word next to the off-topic one keeps the question in scope.
        if (!this.isAnchored(rest) || !this.confident(this.rank(rest), rest, MIN_SCORE_DESPITE_TOPIC)) {
          return { kind: "out_of_scope", reason: "topic" };
        }
      }
    }
    // Below the bar: offer only near-misses as "did you mean…", never entries that merely share a word.
    // Anchoring looks at every word as written: a domain word in a context clause still says the message is ours.
    if (!this.confident(whole, plain))
      return { kind: "unknown", hits: whole.filter((h) => h.score >= HINT_MIN_SCORE).slice(0, 3) };

    // Two questions in one message: answer both, each with the parts it asks.
    const clauses = normalized
      .split(SECOND_QUESTION)
      .map((c) => c.trim())
      .filter(Boolean);
    if (clauses.length > 1) {
      const found = clauses.map((c) => {
        const ts = this.analyzer.queryTokens(c);
        const hits = this.rank(ts);
        return { hits: this.confident(hits, ts) ? hits : [], parts: partsAsked(c, { normalized: true }).parts };
      });
      const mainAt = found.findIndex((f) => f.hits.length);
      const main = found[mainAt];
      const other = found.find((f, i) => i !== mainAt && f.hits[0] && main && f.hits[0].id !== main.hits[0]!.id);
      if (main && other) {
        const first = main.hits[0]!;
        return {
          kind: "answer",
          hits: [first, ...whole.filter((h) => h.id !== first.id)].slice(0, 3),
          parts: main.parts,
          also: { hit: other.hits[0]!, parts: other.parts },
        };
      }
    }

    const [first, second, third] = whole;
    if (first && second && Number.isFinite(first.score) && second.score >= CLARIFY_RATIO * first.score) {
      const candidates = [first, second];
      if (third && third.score >= CLARIFY_RATIO * first.score) candidates.push(third);
      return { kind: "clarify", candidates };
    }
    return { kind: "answer", hits: whole.slice(0, 3), parts };
  }

  /**
   * Ranks a message so that its request outweighs its context. In "想给老婆也办一个居住证 她在家带孩子"
   * or "儿子帮我打的字，积分怎么申请" the clause that asks names the topic on its own; when the
   * description around it pulls the ranking elsewhere, its words count for less. When the asking
   * clause alone is unclear ("健康档案还在老家，这边能重新建一份吗"), every word counts alike.
   */
  private rankRequest(text: string, normalized: string, plain: WeightedTokens): { tokens: WeightedTokens; whole: SearchHit[] } {
    const whole = this.rank(plain, normalized);
    // Latin text keeps its spaces between words of one clause: split only Chinese sentences.
    if (/[a-z]/i.test(text) || !Number.isFinite(whole[0]?.score ?? 0)) return { tokens: plain, whole };
    const clauses = normalized
      .split(/[，,。；;：:]+/)
      // A space ends a clause only between sentences ("…办一个居住证 她在家带孩子"), not between
      // keywords ("居住证 签注 在哪里办"); a short question may end them ("…我还没有 怎么申请").
      .flatMap((c) => {
        const pieces = c.split(/\s+/).filter(Boolean);
        const last = pieces[pieces.length - 1] ?? "";
        return pieces.slice(0, -1).every((p) => p.length >= 5) && (last.length >= 5 || QUESTION_WORDS.test(last)) ? pieces : [c];
      })
      .filter(Boolean);
    let asking = clauses.filter((c) => ASKING.test(c));
    // The question the message ends with names no topic ("…听说要居住证 我到现在还没有 怎么申请"):
    // it asks about the nearest topic named before it, and that clause is the request with it.
    const last = clauses[clauses.length - 1] ?? "";
    if (clauses.length > 2 && QUESTION_WORDS.test(last) && !this.isAnchored(this.analyzer.queryTokens(last))) {
      const named = clauses
        .slice(0, -1)
        .reverse()
        .find((c) => this.isAnchored(this.analyzer.queryTokens(c)));
      if (named) asking = [named, last];
    }
    if (clauses.length < 2 || !asking.length || asking.length === clauses.length) return { tokens: plain, whole };
    // The request's words, found in the asking clauses' text (no second segmentation); a word
    // the text does not contain (an expansion such as 转移) goes with the request.
    const request: WeightedTokens = new Map();
    for (const [t, w] of plain) if (asking.some((c) => c.includes(t)) || !normalized.includes(t)) request.set(t, w);
    if (!this.isAnchored(request)) return { tokens: plain, whole };
    const asked = this.rank(request);
    if (!this.confident(asked, request)) return { tokens: plain, whole };
    const tokens: WeightedTokens = new Map();
    for (const [t, w] of plain) tokens.set(t, request.has(t) ? w : w * CONTEXT_WEIGHT);
    const weighted = this.rank(tokens);
    // Only a decisive answer overrides the plain ranking: a near tie means the context mattered.
    const [a, b] = weighted;
    return a && a.id === asked[0]!.id && (!b || b.score < CLARIFY_RATIO * a.score)
      ? { tokens, whole: weighted }
      : { tokens: plain, whole };
  }

  /**
   * Words that ask for a part (网上, 入口, 材料, 在哪里) say what to tell about a topic, not which
   * topic: when the rest of the message names one ("积分申评 网上办理 入口"), they count for less.
   * A message made only of them ("能不能不跑窗口在网上办") keeps them whole.
   */
  private partWordsLighter({ rest, parts }: PartsAsked, normalized: string, tokens: WeightedTokens): WeightedTokens {
    if (!parts.length || !rest) return tokens;
    // A word of the topic: found in what is left once the part words are taken out, or not in the
    // text at all (an expansion such as 转移). Found by text, without segmenting again.
    const inTopic = (t: string) => rest.includes(t) || !normalized.includes(t);
    // Only a domain word that few entries share (社保, 签注, 积分申评…) names a topic firmly enough.
    const firm = [...tokens].some(
      ([t, w]) => w === 1 && inTopic(t) && this.anchors.has(t) && this.entryIndex.idfOf(t) >= FIRM_TOPIC_IDF,
    );
    if (!firm) return tokens;
    const out: WeightedTokens = new Map();
    for (const [t, w] of tokens) out.set(t, inTopic(t) ? w : w * PART_WORD_WEIGHT);
    return out;
  }

  private isAnchored(tokens: WeightedTokens): boolean {
    for (const [t, w] of tokens) if (w === 1 && this.anchors.has(t)) return true;
    return false;
  }

  private confident(hits: readonly SearchHit[], tokens: WeightedTokens, min = MIN_SCORE): boolean {
    const top = hits[0];
    if (!top) return false;
    return top.score >= (this.isAnchored(tokens) ? min : Math.max(min, MIN_SCORE_UNANCHORED));
  }

  /** How much of entry i's title the tokens cover, by idf (0–1). */
  private titleCoverage(i: number, tokens: WeightedTokens): number {
    let covered = 0;
    for (const t of this.titleTokens[i]!) covered += (tokens.get(t.token) ?? 0) * t.idf;
    return this.titleIdf[i]! > 0 ? covered / this.titleIdf[i]! : 0;
  }

  /** Ranks all matching entries for weighted query tokens; the normalised text enables the exact-title shortcut. */
  rank(tokens: WeightedTokens, normalized?: string): SearchHit[] {
    if (normalized !== undefined) {
      const exact = this.titles.get(this.key(normalized));
      if (exact !== undefined) {
        const e = this.entries[exact]!;
        return [{ id: e.id, title: e.title, score: Number.POSITIVE_INFINITY, entry: e }];
      }
    }
    const scores = this.entryIndex.scores(tokens);
    // The example index is large and a question touches few of its documents: visit only those.
    const ex = this.exampleScores;
    const touched: number[] = [];
    this.exampleIndex.scoresInto(tokens, ex, touched);
    const bestExample = new Float64Array(this.entries.length);
    for (const d of touched) {
      const owner = this.exampleOwner[d]!;
      if (ex[d]! > bestExample[owner]!) bestExample[owner] = ex[d]!;
      ex[d] = 0;
    }
    const hits: SearchHit[] = [];
    this.entries.forEach((e, i) => {
      if (scores[i]! <= 0) return;
      const coverage = this.titleCoverage(i, tokens);
      const score = scores[i]! + EXAMPLE_WEIGHT * bestExample[i]! + TITLE_BONUS * coverage;
      hits.push({ id: e.id, title: e.title, score, entry: e });
    });
    return hits.sort((x, y) => y.score - x.score);
  }
}
