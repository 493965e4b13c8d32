import { Analyzer, type WeightedTokens } from "../nlu/analyzer.ts";
import { Bm25Index } from "../nlu/bm25.ts";
import { isInjection, outOfScopeTopics } from "../nlu/intents.ts";
import { domainWords } from "../nlu/lexicon.ts";
import type { Entry } from "./schema.ts";
import { memoizeRecent } from "../lib/memo.ts";

export interface SearchHit {
  id: string;
  title: string;
  score: number;
  entry: Entry;
}

/** What retrieval makes of a message. */
export type Understanding =
  /** `hits[0]` answers the (main) question; `also` is the entry a second question in the message asks about. */
  | { kind: "answer"; hits: SearchHit[]; also?: SearchHit }
  /** Two or three entries are about equally likely: ask which one was meant. */
  | { kind: "clarify"; candidates: SearchHit[] }
  /** Clearly not what the assistant is for (weather, shopping, homework, "ignore your instructions"). */
  | { kind: "out_of_scope"; reason: "injection" | "topic" }
  /** Nothing in the catalogue matches well enough. */
  | { kind: "unknown"; hits: SearchHit[] };

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

/** The loaded, indexed catalogue. Built once at start-up; every query is in-process. */
export class Catalogue {
  readonly entries: readonly Entry[];
  readonly analyzer: Analyzer;
  private readonly byId: Map<string, Entry>;
  private readonly entryIndex: Bm25Index;
  private readonly exampleIndex: Bm25Index;
  /** Entry index of each document of the example index. */
  private readonly exampleOwner: number[];
  /** Normalised titles, so that a chosen option ("居住证签注（续签）") maps straight to its entry. */
  private readonly titles = new Map<string, number>();
  /** Each entry's title tokens with their idf, for the title-coverage bonus. */
  private readonly titleTokens: { token: string; idf: number }[][];
  private readonly titleIdf: number[];
  /** Whole domain words: a question containing one is about what the catalogue covers. */
  private readonly anchors = new Set<string>();

  constructor(entries: readonly Entry[]) {
    this.entries = entries;
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
            tokens: toks([...e.eligibility, ...e.prepare, ...e.howTo.online, ...e.howTo.inPerson, e.nextStep]),
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
    entries.forEach((e, i) => {
      this.titles.set(this.key(a.normalize(e.title)), i);
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

  /** The k best entries for a question, best first (only entries with some match). */
  search(text: string, k = 3): SearchHit[] {
    const normalized = this.analyzer.normalize(text);
    return this.rank(this.analyzer.queryTokens(normalized), normalized).slice(0, k);
  }

  /**
   * Decides what a message asks: the entry (or entries) to answer from, a question back when
   * two or three are equally likely, or that it is out of scope / not understood.
   */
  readonly understand: (text: string) => Understanding = memoizeRecent((text: string) => this.understandUncached(text));

  private understandUncached(text: string): Understanding {
    if (isInjection(text)) return { kind: "out_of_scope", reason: "injection" };
    const normalized = this.analyzer.normalize(text);
    const tokens = this.analyzer.queryTokens(normalized);
    const whole = this.rank(tokens, normalized);
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
    if (!this.confident(whole, tokens))
      return { kind: "unknown", hits: whole.filter((h) => h.score >= HINT_MIN_SCORE).slice(0, 3) };

    // Two questions in one message: answer the first, offer the other.
    const clauses = normalized
      .split(SECOND_QUESTION)
      .map((c) => c.trim())
      .filter(Boolean);
    if (clauses.length > 1) {
      const parts = clauses.map((c) => {
        const ts = this.analyzer.queryTokens(c);
        const hits = this.rank(ts);
        return this.confident(hits, ts) ? hits : [];
      });
      const main = parts.find((p) => p.length)?.[0];
      const other = parts.map((p) => p[0]).find((h) => h && main && h.id !== main.id);
      if (main && other) {
        return { kind: "answer", hits: [main, ...whole.filter((h) => h.id !== main.id)].slice(0, 3), also: other };
      }
    }

    const [first, second, third] = whole;
    if (first && second && Number.isFinite(first.score) && second.score >= CLARIFY_RATIO * first.score) {
      const candidates = [first, second];
      if (third && third.score >= CLARIFY_RATIO * first.score) candidates.push(third);
      return { kind: "clarify", candidates };
    }
    return { kind: "answer", hits: whole.slice(0, 3) };
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
    const ex = this.exampleIndex.scores(tokens);
    const bestExample = new Float64Array(this.entries.length);
    ex.forEach((s, d) => {
      const owner = this.exampleOwner[d]!;
      if (s > bestExample[owner]!) bestExample[owner] = s;
    });
    const hits: SearchHit[] = [];
    this.entries.forEach((e, i) => {
      if (scores[i]! <= 0) return;
      let covered = 0;
      for (const t of this.titleTokens[i]!) covered += (tokens.get(t.token) ?? 0) * t.idf;
      const coverage = this.titleIdf[i]! > 0 ? covered / this.titleIdf[i]! : 0;
      const score = scores[i]! + EXAMPLE_WEIGHT * bestExample[i]! + TITLE_BONUS * coverage;
      hits.push({ id: e.id, title: e.title, score, entry: e });
    });
    return hits.sort((x, y) => y.score - x.score);
  }
}
