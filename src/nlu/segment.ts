import { Jieba } from "@node-rs/jieba";
import { dict } from "@node-rs/jieba/dict.js";
import { domainWords } from "./lexicon.ts";

let jieba: Jieba | undefined;
const added = new Set<string>();

/** One jieba instance per process: loading its dictionary takes ~0.25 s, cutting takes microseconds. */
function instance(): Jieba {
  if (!jieba) {
    jieba = Jieba.withDict(dict);
    addWords(domainWords);
  }
  return jieba;
}

/** Teaches the segmenter words it must keep whole (catalogue titles, keywords). */
export function addWords(words: Iterable<string>): void {
  const fresh: string[] = [];
  for (const w of words) {
    const word = w.trim();
    if (word.length < 2 || /\s/.test(word) || added.has(word)) continue;
    added.add(word);
    fresh.push(word);
  }
  if (!fresh.length) return;
  // A high frequency makes jieba prefer the whole word over its parts.
  instance().loadDict(Buffer.from(fresh.map((w) => `${w} 200000 n`).join("\n")));
}

/** Words of a normalised text, in search mode (long words also yield their known parts). */
export function cut(text: string): string[] {
  return instance().cutForSearch(text, true);
}

/** Words as jieba reads the sentence, with the parts of long words marked (人民币 → 人民币 + part 人民). */
export function cutWithParts(text: string): { words: string[]; parts: string[] } {
  const words = instance().cut(text, true);
  const whole = new Set(words);
  const parts = instance()
    .cutForSearch(text, true)
    .filter((w) => !whole.has(w));
  return { words, parts };
}

let common: Set<string> | undefined;

/**
 * True for an everyday two-character word (frequent in jieba's dictionary): such a word is
 * never "corrected" into a domain word that happens to sound the same.
 */
export function isCommonWord(word: string): boolean {
  if (!common) {
    common = new Set();
    // Scan the UTF-8 bytes for lines "XX 1234 n" (two 3-byte characters): decoding the whole
    // 8 MB dictionary into one string would cost far more.
    const bytes = dict;
    const decoder = new TextDecoder();
    let start = 0;
    while (start < bytes.length) {
      let end = bytes.indexOf(10, start);
      if (end < 0) end = bytes.length;
      if (end - start > 8 && bytes[start + 6] === 32 && bytes[start]! >= 0xe0 && bytes[start + 3]! >= 0xe0) {
        let freq = 0;
        for (let j = start + 7; j < end && bytes[j]! >= 48 && bytes[j]! <= 57; j++) freq = freq * 10 + bytes[j]! - 48;
        if (freq >= 100) common.add(decoder.decode(bytes.subarray(start, start + 6)));
      }
      start = end + 1;
    }
  }
  return common.has(word);
}
