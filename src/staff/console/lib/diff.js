// @ts-check
// A line diff for the version history: what a publish changed in a field, line by line. Chinese
// paragraphs are one long line, so a line here ends at a line break or after a sentence (。！？；).

/**
 * A field's value as lines: text split into sentences, lists one item a line, specifics `key: value`.
 * @param {unknown} value
 * @returns {string[]}
 */
export function toLines(value) {
  if (value === null || value === undefined || value === "") return [];
  if (typeof value === "string") {
    return value
      .split(/\n|(?<=[。！？；])/)
      .map((line) => line.trim())
      .filter(Boolean);
  }
  if (Array.isArray(value)) return value.flatMap((item) => toLines(item));
  if (typeof value === "object") {
    return Object.entries(value).flatMap(([key, v]) => {
      if (v !== null && typeof v === "object" && !Array.isArray(v)) {
        // A part { text, … } or a specific { label, kind, value }: say which one, then its lines.
        const inner = /** @type {Record<string, unknown>} */ (v);
        if ("text" in inner) return toLines(inner.text).map((line) => `${key}: ${line}`);
        if ("value" in inner) return [`${key}: ${inner.value ?? "（未填）"}`];
      }
      return toLines(v).map((line) => `${key}: ${line}`);
    });
  }
  return [String(value)];
}

/** @typedef {{ op: "same" | "add" | "del", line: string }} DiffLine */

/**
 * Longest-common-subsequence diff of two line lists (fields are short: a few dozen lines).
 * @param {string[]} before
 * @param {string[]} after
 * @returns {DiffLine[]}
 */
export function diffLines(before, after) {
  const n = before.length;
  const m = after.length;
  // lcs[i * (m + 1) + j]: length of the LCS of before[i..] and after[j..] (one flat table).
  const w = m + 1;
  const lcs = new Int32Array((n + 1) * w);
  /** @param {number} i @param {number} j */
  const at = (i, j) => /** @type {number} */ (lcs[i * w + j]);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = before[i] === after[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
    }
  }
  /** @type {DiffLine[]} */
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (before[i] === after[j]) {
      out.push({ op: "same", line: /** @type {string} */ (before[i]) });
      i++;
      j++;
    } else if (at(i + 1, j) >= at(i, j + 1)) out.push({ op: "del", line: /** @type {string} */ (before[i++]) });
    else out.push({ op: "add", line: /** @type {string} */ (after[j++]) });
  }
  while (i < n) out.push({ op: "del", line: /** @type {string} */ (before[i++]) });
  while (j < m) out.push({ op: "add", line: /** @type {string} */ (after[j++]) });
  return out;
}
