/**
 * The one reader of ID and phone numbers in free text, in every form residents type them:
 * "330203 19900101 1236", "3302-0319-9001-0112-36", full-width "３３０２０３…", "身份证号是…",
 * "+86 139 1234 5678", "138-1234-5678", an ID and a phone glued together. The guided flows'
 * validators and the transcript/log masking (`redactPersonalData`) both use it, so a number a
 * flow accepts is always a number the transcript masks.
 */

import { memoizeRecent } from "./memo.ts";

/** Full-width ASCII and the ideographic space to ASCII, dashes to "-": one character for one, so positions stay put. */
export function toHalfWidth(text: string): string {
  return text
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\u3000\u00A0]/g, " ")
    .replace(/[\u2010-\u2015\u2212]/g, "-");
}

// ── GB 11643 ────────────────────────────────────────────────────────────────────────────────

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = "10X98765432";

/** The check character GB 11643 prescribes for the first 17 digits. */
export function idCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (ID_WEIGHTS[i] as number);
  return ID_CHECK[sum % 11] as string;
}

/** True when an 18-character ID number's last character is the one GB 11643 prescribes. */
export function hasValidCheckCharacter(id: string): boolean {
  return /^\d{17}[\dX]$/.test(id) && idCheckCharacter(id) === id[17];
}

// ── finding numbers ─────────────────────────────────────────────────────────────────────────

export type PersonalNumberKind = "id" | "old_id" | "mobile" | "landline";

/** A number found in a text: its span as typed and its normalised value. */
export interface PersonalNumber {
  kind: PersonalNumberKind;
  start: number;
  end: number;
  /** id: 18 characters, X upper-case; old_id: 15 digits; mobile: 11 digits; landline: 0574-87654321. */
  value: string;
}

/**
 * A run of digit groups: digits (an X may end an ID) separated by at most two spaces or dashes,
 * optionally led by "+", not glued to letters (so a permit number like NB2025001234 is not one).
 */
const RUN = /(?<![A-Za-z\d])\+?\d[\dXx]*(?:[ \t-]{1,2}[\dXx]+)*(?![A-Za-z\d])/g;
const GROUP = /[\dXx]+/g;

interface Segment {
  kind: PersonalNumberKind;
  value: string;
}

/** `whole`: the piece is the entire run (landlines are only read then, so they never swallow a phone). */
function classify(digits: string, groups: number, whole: boolean): Segment | null {
  const d = digits.toUpperCase();
  if (/^\d{17}[\dX]$/.test(d)) return { kind: "id", value: d };
  if (d.includes("X")) return null;
  if (/^1[3-9]\d{9}$/.test(d)) return { kind: "mobile", value: d };
  const intl = /^(?:0086|86)(1[3-9]\d{9})$/.exec(d);
  if (intl) return { kind: "mobile", value: intl[1] as string };
  if (whole && groups <= 3 && /^0\d{9,11}$/.test(d)) return { kind: "landline", value: d };
  return null;
}

/** How many digit groups the digits from..to touch. */
function groupsBetween(groupStarts: readonly number[], from: number, to: number): number {
  let n = 1;
  for (const s of groupStarts) if (s > from && s < to) n++;
  return n;
}

/** Splits one run into numbers: the split that recognises the most digits wins (fewest pieces on a tie). */
function splitRun(run: string, offset: number): PersonalNumber[] {
  const digits: string[] = [];
  const at: number[] = [];
  /** Where a number may begin or end: between groups, or anywhere inside a group long enough to be two numbers glued. */
  const cuts = new Set<number>([0]);
  const groupStarts: number[] = [];
  for (const m of run.matchAll(GROUP)) {
    const start = digits.length;
    groupStarts.push(start);
    for (let i = 0; i < m[0].length; i++) {
      digits.push(m[0][i] as string);
      at.push(offset + (m.index as number) + i);
    }
    if (m[0].length >= 22) for (let i = start + 1; i < digits.length; i++) cuts.add(i);
    cuts.add(digits.length);
  }
  const n = digits.length;
  const points = [...cuts].sort((a, b) => a - b);
  // best[i]: the best reading of digits[i..]: digits recognised, pieces used, the pieces.
  const best = new Map<number, { covered: number; pieces: number; found: { from: number; to: number; seg: Segment }[] }>();
  best.set(n, { covered: 0, pieces: 0, found: [] });
  for (let p = points.length - 2; p >= 0; p--) {
    const from = points[p] as number;
    let choice = { covered: -1, pieces: 0, found: [] as { from: number; to: number; seg: Segment }[] };
    for (let q = p + 1; q < points.length; q++) {
      const to = points[q] as number;
      const rest = best.get(to);
      if (!rest) continue;
      const seg =
        to - from <= 17 + 4
          ? classify(digits.slice(from, to).join(""), groupsBetween(groupStarts, from, to), from === 0 && to === n)
          : null;
      // Recognised piece, or skip to the next cut unrecognised.
      const options = seg
        ? [{ covered: rest.covered + (to - from), pieces: rest.pieces + 1, found: [{ from, to, seg }, ...rest.found] }]
        : q === p + 1
          ? [{ covered: rest.covered, pieces: rest.pieces + 1, found: rest.found }]
          : [];
      for (const o of options) {
        if (o.covered > choice.covered || (o.covered === choice.covered && o.pieces < choice.pieces)) choice = o;
      }
    }
    best.set(from, choice);
  }
  const plus = run.startsWith("+");
  const found = best.get(0)?.found ?? [];
  // An old 15-digit ID only when the run is nothing else: "+86 150 1217 0431 17天前" is a phone.
  if (!found.length && /^\d{15}$/.test(digits.join("")))
    found.push({ from: 0, to: n, seg: { kind: "old_id", value: digits.join("") } });
  return found.map(({ from, to, seg }) => ({
    kind: seg.kind,
    start: from === 0 && plus ? offset : (at[from] as number),
    end: (at[to - 1] as number) + 1,
    value: seg.kind === "landline" ? landline(digits.slice(from, to).join(""), run, at, from, offset) : seg.value,
  }));
}

/** 0574-87654321 when typed with a separator after the area code; as typed (digits only) otherwise. */
function landline(digits: string, run: string, at: number[], from: number, offset: number): string {
  for (const area of [3, 4]) {
    const gapAt = (at[from + area - 1] as number) + 1 - offset;
    if (gapAt < run.length && /[ \t-]/.test(run[gapAt] as string)) return `${digits.slice(0, area)}-${digits.slice(area)}`;
  }
  return digits;
}

/**
 * Every ID and phone number in a text, in order, however it was typed. Remembered for the last
 * few texts: a flow turn reads the same message for masking, for each step's validator and for
 * the values it holds. The result is shared: read it, never change it.
 */
export const findPersonalNumbers: (text: string) => readonly PersonalNumber[] = memoizeRecent(scanNumbers, 8);

function scanNumbers(text: string): readonly PersonalNumber[] {
  const half = toHalfWidth(text);
  const found: PersonalNumber[] = [];
  for (const m of half.matchAll(RUN)) {
    const run = m[0].replace(/[ \t-]+$/, "");
    if (run.replace(/\D/g, "").length < 10) continue;
    found.push(...splitRun(run, m.index as number));
  }
  return found;
}

/** Cheap pre-check for the hot path: fewer than ten digits cannot hold an ID or phone number. */
export function mayHoldPersonalNumber(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 0xff10 && c <= 0xff19)) {
      if (++digits >= 10) return true;
    }
  }
  return false;
}

// ── masking ─────────────────────────────────────────────────────────────────────────────────

/** 330203199001011234 → 330203********1234 */
export function maskIdNumber(id: string): string {
  const v = id.replace(/\s+/g, "").toUpperCase();
  if (v.length <= 10) return `${v.slice(0, 2)}${"*".repeat(Math.max(v.length - 4, 0))}${v.slice(-2)}`;
  return `${v.slice(0, 6)}${"*".repeat(v.length - 10)}${v.slice(-4)}`;
}

/** 13812345678 → 138****5678; landlines keep the area code and the last four digits. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/[^\d-]/g, "");
  if (/^1\d{10}$/.test(digits)) return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
  if (digits.length <= 4) return digits;
  return `${digits.slice(0, Math.min(4, digits.length - 4)).replace(/-$/, "")}****${digits.slice(-4)}`;
}

/** The masked form of a found number, as transcripts, logs and summaries show it. */
export function maskNumber(n: PersonalNumber): string {
  return n.kind === "id" || n.kind === "old_id" ? maskIdNumber(n.value) : maskPhone(n.value);
}
