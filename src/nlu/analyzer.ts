import { stopwords, tokenExpansions, transferVerb } from "./lexicon.ts";
import { Normalizer } from "./normalize.ts";
import { addWords, cut, cutWithParts } from "./segment.ts";

const PUNCT = /^[\p{P}\p{S}\s\d]+$/u;

/**
 * A word jieba keeps whole but made only of function characters (我想, 有人, 上能) carries no
 * topic either: it is dropped like a stopword, in questions and documents alike — unless it is a
 * domain word (刚来) or holds a negation, which makes a complement meaningful (找不到, 拿不到).
 */
function isFunctionWord(w: string, domain: ReadonlySet<string>): boolean {
  if (stopwords.has(w)) return true;
  if (w.length < 2 || w.length > 3 || !/^[\u4e00-\u9fff]+$/.test(w) || /[不没]/.test(w) || domain.has(w)) return false;
  for (const ch of w) if (!stopwords.has(ch)) return false;
  return true;
}

/** A part of a longer word counts less than a whole word (人民币 must not strongly match 人民调解). */
export const PART_WEIGHT = 0.5;

/** Query tokens with their weight: whole words 1, parts of longer words less. */
export type WeightedTokens = Map<string, number>;

/**
 * Turns text into the tokens retrieval compares: normalise (script, width, English, pinyin,
 * typos, synonyms), segment with jieba, drop stopwords and punctuation.
 */
export class Analyzer {
  readonly normalizer: Normalizer;
  private readonly domain: ReadonlySet<string>;

  /**
   * @param corpus the catalogue texts: their words become the vocabulary pinyin and typos map to
   * @param domainTerms words to keep whole and to correct homophone typos towards
   */
  constructor(corpus: readonly string[], domainTerms: readonly string[]) {
    addWords(domainTerms);
    this.domain = new Set(domainTerms);
    const vocabulary = new Map<string, number>();
    const plain = new Normalizer(new Map(), []);
    for (const text of corpus) {
      for (const w of cut(plain.normalize(text))) {
        if (!PUNCT.test(w)) vocabulary.set(w, (vocabulary.get(w) ?? 0) + 1);
      }
    }
    // Domain terms win homophone ties: weigh them above anything counted in the corpus.
    for (const term of domainTerms) vocabulary.set(term, (vocabulary.get(term) ?? 0) + 1000);
    this.normalizer = new Normalizer(vocabulary, domainTerms);
  }

  normalize(text: string): string {
    return this.normalizer.normalize(text);
  }

  /** Retrieval tokens of an already normalised text. */
  tokensOfNormalized(normalized: string): string[] {
    const out: string[] = [];
    for (const w of cut(normalized)) {
      if (w === " " || PUNCT.test(w) || isFunctionWord(w, this.domain)) continue;
      out.push(w);
      const more = tokenExpansions[w];
      if (more) out.push(...more);
      if (transferVerb.test(w)) out.push("转移");
    }
    return out;
  }

  /** Weighted query tokens of an already normalised text. */
  queryTokens(normalized: string): WeightedTokens {
    const out: WeightedTokens = new Map();
    const add = (w: string, weight: number) => {
      if (w === " " || PUNCT.test(w) || isFunctionWord(w, this.domain)) return;
      if ((out.get(w) ?? 0) < weight) out.set(w, weight);
      for (const more of tokenExpansions[w] ?? []) if ((out.get(more) ?? 0) < weight) out.set(more, weight);
      if (transferVerb.test(w) && (out.get("转移") ?? 0) < weight) out.set("转移", weight);
    };
    const { words, parts } = cutWithParts(normalized);
    for (const w of words) add(w, 1);
    for (const w of parts) add(w, PART_WEIGHT);
    return out;
  }

  tokens(text: string): string[] {
    return this.tokensOfNormalized(this.normalize(text));
  }
}
