import * as OpenCC from "opencc-js";
import { pinyin } from "pinyin-pro";
import { dialectWords, english, homeProvinces, otherPlacesLatin, pinyinSingles, synonyms } from "./lexicon.ts";
import { isCommonWord } from "./segment.ts";
import { memoizeRecent } from "../lib/memo.ts";

/**
 * Characters only, never Taiwan phrases: "twp" would also rewrite mainland words written in
 * Traditional script (檔案 → 文档, 程序 → 进程), and the catalogue uses the mainland ones.
 */
const toSimplified = OpenCC.Converter({ from: "tw", to: "cn" });
/** Characters that exist only in Traditional script are rare in Simplified text: skip OpenCC when none could be. */
const MAYBE_TRADITIONAL = /[\u3400-\u9fff\uf900-\ufaff]/;

const EMOJI = /\p{Extended_Pictographic}|[\u{1F3FB}-\u{1F3FF}]|\u{FE0F}|\u{200D}/gu;

/**
 * Width, case and script: full-width letters and digits become half-width (NFKC), Latin is
 * lower-cased, Traditional Chinese becomes Simplified, emoji and repeated spaces go.
 */
export const basicNormalize = memoizeRecent(normalizeUncached);

function normalizeUncached(text: string): string {
  let t = text.normalize("NFKC").toLowerCase();
  if (MAYBE_TRADITIONAL.test(t)) t = toSimplified(t);
  return (
    t
      .replace(EMOJI, " ")
      // "hasn't paid" → "has not paid", before quotes go: negation matters to the English phrases.
      .replace(/n['’]t\b/g, " not")
      .replace(/[“”"'‘’`]/g, " ")
      .replace(/\s+/g, " ")
      .trim()
  );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A longest-first replacement of every key of `map` in one pass. */
function replacer(map: Readonly<Record<string, string>>, wordBoundaries: boolean): (text: string) => string {
  const keys = Object.keys(map).sort((a, b) => b.length - a.length);
  if (!keys.length) return (t) => t;
  const alt = keys.map(escapeRegExp).join("|");
  const re = wordBoundaries ? new RegExp(`(?<![a-z])(?:${alt})(?![a-z])`, "g") : new RegExp(alt, "g");
  return (text) => text.replace(re, (m) => (wordBoundaries ? ` ${map[m]} ` : (map[m] ?? m)));
}

/** Dialect and colloquial function words first, so the synonyms see Mandarin (寻份工作 → 找份工作 → 找工作). */
const applyDialect = replacer(dialectWords, false);
const applySynonyms = replacer(
  {
    ...Object.fromEntries(
      homeProvinces.flatMap((p) => [
        [`回${p}`, "回老家"],
        [`${p}老家`, "老家"],
      ]),
    ),
    ...synonyms,
  },
  false,
);
const englishPhrases = Object.fromEntries(Object.entries(english).filter(([k]) => /[\s-]/.test(k)));
const applyEnglishPhrases = replacer(englishPhrases, true);

/** A crude English stemmer: enough to find "registering" under "register". */
function englishWord(word: string): string | undefined {
  // A city named in English is that city (from Shenzhen to Ningbo: 从深圳到宁波).
  const direct = english[word] ?? otherPlacesLatin[word];
  if (direct) return direct;
  for (const [suffix, add] of [
    ["ies", "y"],
    ["es", ""],
    ["s", ""],
    ["ing", ""],
    ["ing", "e"],
    ["ed", ""],
    ["ed", "e"],
    ["d", ""],
  ] as const) {
    if (word.length > suffix.length + 2 && word.endsWith(suffix)) {
      const hit = english[word.slice(0, -suffix.length) + add];
      if (hit) return hit;
    }
  }
  return undefined;
}

const charPinyin = new Map<string, string>();
/** The toneless reading of one character (ü written v), cached: pinyin-pro is the slow part. */
function readingOf(ch: string): string {
  let p = charPinyin.get(ch);
  if (p === undefined) {
    p = /[\u4e00-\u9fff]/.test(ch) ? pinyin(ch, { toneType: "none", v: true }) : "";
    charPinyin.set(ch, p);
  }
  return p;
}

/** The reading of a word, in context (多音字 resolved by pinyin-pro), without tones or spaces. */
function wordReading(word: string): string {
  return pinyin(word, { toneType: "none", type: "array", v: true }).join("");
}

/** Numerals: never the typo in a homophone correction. */
const NUMERALS = new Set("零〇一二两三四五六七八九十百千万");
/**
 * The everyday one-character verbs residents write (找, 办, 交, 带…): at the start of a word they
 * are a verb with its object, not a typo — "找人问问" is not 招人 (but 签住 is 签注).
 */
const EVERYDAY_VERBS = new Set(pinyinSingles);
/**
 * Postpositions of place: followed by an everyday verb they end a place phrase and the verb
 * starts the predicate — "手机上办", "网上交", "家里办" are not the words 上班 or 里班.
 */
const POSTPOSITIONS = new Set("上里内中下");

interface TrieNode {
  next: Map<string, TrieNode>;
  word?: string;
  weight?: number;
}

/**
 * The full normalisation of a resident's message: script and width, English words, pinyin,
 * typos that sound like a catalogue word, and colloquial synonyms — all mapped to the words the
 * catalogue uses, so that retrieval compares like with like.
 */
export class Normalizer {
  private readonly pinyinTrie: TrieNode = { next: new Map() };
  /** Domain words by the reading of their first character, for homophone typo correction. */
  private readonly soundsLike = new Map<string, { word: string; chars: string[]; readings: string[] }[]>();
  private readonly known: Set<string>;

  /**
   * @param vocabulary words pinyin input may stand for, with how often the catalogue uses them
   * @param typoTargets domain words a homophone typo is corrected to (居主证 → 居住证)
   */
  constructor(vocabulary: ReadonlyMap<string, number>, typoTargets: Iterable<string>) {
    for (const [word, weight] of vocabulary) {
      if (word.length < 2 || !/^[\u4e00-\u9fff]+$/.test(word)) continue;
      for (const key of new Set([wordReading(word), [...word].map(readingOf).join("")])) {
        if (key.length < 4) continue;
        this.insert(key, word, weight);
        if (key.includes("v")) this.insert(key.replaceAll("v", "u"), word, weight);
      }
    }
    for (const single of pinyinSingles) this.insert(wordReading(single), single, 0);
    this.known = new Set(typoTargets);
    const seen = new Set<string>();
    for (const word of this.known) {
      if (word.length < 2 || word.length > 5 || !/^[\u4e00-\u9fff]+$/.test(word)) continue;
      const readings = [...word].map(readingOf);
      const key = readings.join(" ");
      if (seen.has(key)) continue;
      seen.add(key);
      const list = this.soundsLike.get(readings[0]!) ?? [];
      list.push({ word, chars: [...word], readings });
      this.soundsLike.set(readings[0]!, list);
    }
    // Longest first, so 居住登记 wins over 居住.
    for (const list of this.soundsLike.values()) list.sort((a, b) => b.chars.length - a.chars.length);
  }

  private insert(key: string, word: string, weight: number): void {
    let node = this.pinyinTrie;
    for (const ch of key) {
      let n = node.next.get(ch);
      if (!n) {
        n = { next: new Map() };
        node.next.set(ch, n);
      }
      node = n;
    }
    // Homophones: keep the word the catalogue uses most.
    if (node.word === undefined || (node.weight ?? 0) < weight) {
      node.word = word;
      node.weight = weight;
    }
  }

  /** Normalises a message for matching (the result is for machines, never shown). */
  normalize(text: string): string {
    let t = basicNormalize(text);
    if (/[a-z]/.test(t)) t = this.latin(t);
    t = this.fixTypos(t);
    t = applySynonyms(applyDialect(t));
    return t.replace(/\s+/g, " ").trim();
  }

  /** English words and pinyin → Chinese catalogue words; anything else is left as it was. */
  private latin(text: string): string {
    const t = applyEnglishPhrases(text);
    return t.replace(/[a-z][a-z'-]*(?:\s+[a-z][a-z'-]*)*/g, (run) => {
      const words = run.split(/\s+/);
      const out: string[] = [];
      let pinyinRun: string[] = [];
      const flush = () => {
        if (pinyinRun.length) out.push(this.fromPinyin(pinyinRun));
        pinyinRun = [];
      };
      for (const w of words) {
        const en = englishWord(w);
        if (en) {
          flush();
          out.push(en);
        } else pinyinRun.push(w);
      }
      flush();
      return ` ${out.join(" ")} `;
    });
  }

  /**
   * Reads a run of Latin words as pinyin: the best cover by catalogue words, where a match may
   * span the spaces residents put anywhere ("juzhu zheng", "juzhuzheng"). Words that are not
   * pinyin for anything known stay as they were.
   */
  private fromPinyin(words: string[]): string {
    const letters = words.join("");
    const starts = new Set<number>();
    let pos = 0;
    for (const w of words) {
      starts.add(pos);
      pos += w.length;
    }
    const n = letters.length;
    type Step = { score: number; from: number; word?: string; skipped?: string };
    const best: (Step | undefined)[] = new Array(n + 1);
    best[0] = { score: 0, from: -1 };
    const wordEnd = (i: number) => {
      let j = i + 1;
      while (j < n && !starts.has(j)) j++;
      return j;
    };
    for (let i = 0; i < n; i++) {
      const here = best[i];
      if (!here) continue;
      const relax = (j: number, step: Step) => {
        const cur = best[j];
        if (!cur || cur.score < step.score) best[j] = step;
      };
      let node: TrieNode | undefined = this.pinyinTrie;
      for (let j = i; j < n && node; j++) {
        node = node.next.get(letters[j]!);
        if (node?.word) {
          const len = j + 1 - i;
          relax(j + 1, { score: here.score + len * len, from: i, word: node.word });
        }
      }
      const end = wordEnd(i);
      relax(end, { score: here.score, from: i, skipped: letters.slice(i, end) });
    }
    const parts: string[] = [];
    for (let j = n; j > 0; ) {
      const step = best[j];
      if (!step) return words.join(" ");
      parts.unshift(step.word ?? step.skipped ?? "");
      j = step.from;
    }
    return parts.join(" ");
  }

  /** Replaces a non-word that sounds exactly like a domain word and shares a character with it. */
  private fixTypos(text: string): string {
    if (!this.soundsLike.size || !/[\u4e00-\u9fff]{2}/.test(text)) return text;
    const chars = [...text];
    let out = "";
    let i = 0;
    outer: while (i < chars.length) {
      const candidates = this.soundsLike.get(readingOf(chars[i]!));
      if (candidates) {
        for (const c of candidates) {
          const len = c.chars.length;
          if (i + len > chars.length) continue;
          let same = 0;
          let sounds = true;
          for (let k = 0; k < len; k++) {
            const ch = chars[i + k]!;
            if (ch === c.chars[k]) same++;
            // A numeral, or an everyday verb starting a word or after a postposition, is what the
            // resident meant (建一份 is not 建议份).
            else if (
              NUMERALS.has(ch) ||
              (EVERYDAY_VERBS.has(ch) && (k === 0 || POSTPOSITIONS.has(chars[i + k - 1]!))) ||
              readingOf(ch) !== c.readings[k]
            ) {
              sounds = false;
              break;
            }
          }
          if (!sounds) continue;
          // The word itself, or a typo sharing enough characters that is not an everyday word.
          // A two-character window whose second character starts an everyday word with the next
          // one straddles a word boundary (报住址 is 报 + 住址, not 包住 + 址).
          const word = chars.slice(i, i + len).join("");
          const straddles = len === 2 && i + 2 < chars.length && isCommonWord(chars[i + 1]! + chars[i + 2]!);
          if (same === len || (same >= Math.ceil(len / 2) && !(len === 2 && (isCommonWord(word) || straddles)))) {
            out += c.word;
            i += len;
            continue outer;
          }
        }
      }
      out += chars[i]!;
      i++;
    }
    return out;
  }
}
