import { findPersonalNumbers, maskNumber, mayHoldPersonalNumber } from "./personal-numbers.ts";

/** Control characters except tab/newline; zero-width and bidi marks that hide text. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/g;

export const MAX_TEXT_LENGTH = 2000;

/** Strips control characters and surrounding whitespace; keeps the resident's words intact. */
export function cleanText(text: string): string {
  return text.replace(CONTROL, "").replace(/\r\n?/g, "\n").trim();
}

/** True when the text has no letters, digits or CJK characters (emoji only, punctuation only). */
export function hasNoWords(text: string): boolean {
  return !/[\p{L}\p{N}]/u.test(text);
}

/** Digit runs this long that are not a recognised number (a mistyped ID, a card number) are masked too. */
const LONG_DIGITS = /[\d\uFF10-\uFF19]{14,}/g;

/**
 * Masks ID numbers and phone numbers wherever they appear in free text, in every form residents
 * type them (spaces, dashes, full-width digits, +86: see personal-numbers.ts), and long digit runs.
 * The engine applies it to every inbound message before it is stored; the logger to every string.
 */
export function redactPersonalData(text: string): string {
  if (!mayHoldPersonalNumber(text)) return text;
  let out = "";
  let last = 0;
  for (const n of findPersonalNumbers(text)) {
    out += text.slice(last, n.start) + maskNumber(n);
    last = n.end;
  }
  out += text.slice(last);
  return out.replace(LONG_DIGITS, (m) => `${m.slice(0, 4)}${"*".repeat(m.length - 6)}${m.slice(-2)}`);
}
