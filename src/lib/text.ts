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

/** Masks ID numbers, phone numbers and long digit runs wherever they appear in free text. */
export function redactPersonalData(text: string): string {
  return text
    .replace(/\d{6}(?:19|20)\d{2}\d{2}\d{2}\d{3}[\dXx]/g, (m) => `${m.slice(0, 6)}********${m.slice(-4)}`)
    .replace(/(?<!\d)1[3-9]\d{9}(?!\d)/g, (m) => `${m.slice(0, 3)}****${m.slice(-4)}`);
}
