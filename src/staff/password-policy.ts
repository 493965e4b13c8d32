import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The shortest staff password accepted (NIST SP 800-63B asks at least 8; a console that can reveal ID numbers asks more). */
export const MIN_PASSWORD_LENGTH = 12;
const MIN_DISTINCT_CHARACTERS = 4;

/** Lower-cased common passwords (see the file's header for its source and trimming). */
const common: ReadonlySet<string> = new Set(
  readFileSync(join(import.meta.dirname, "common-passwords.txt"), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#")),
);

export type PasswordProblem = "too_short" | "too_few_characters" | "contains_username" | "common";

/** What a person choosing a password reads (the console, the staff API). */
export const passwordProblemText: Record<PasswordProblem, string> = {
  too_short: `密码至少 ${MIN_PASSWORD_LENGTH} 位。`,
  too_few_characters: "密码不能只是同一两个字符的重复，请换一个。",
  contains_username: "密码里不能包含用户名。",
  common: "这个密码太常见，很容易被猜到，请换一个（可以用几个不相关的词组合）。",
};

/** What an operator reads when STAFF_ADMIN_PASSWORD breaks the policy. */
export const passwordProblemEnglish: Record<PasswordProblem, string> = {
  too_short: `must be at least ${MIN_PASSWORD_LENGTH} characters`,
  too_few_characters: `must use at least ${MIN_DISTINCT_CHARACTERS} different characters`,
  contains_username: "must not contain the username",
  common: "is a common password (in src/staff/common-passwords.txt, or one with only digits or symbols added): choose another",
};

/**
 * Why `password` may not be a staff password, or null when it may. Rules: at least 12 characters, at least 4 different ones (no "aaaaaaaaaaaa"),
 * not the username inside it, not a common password — whole, or with only digits and symbols
 * added around a common word ("dragon2024!!"), or one repeated ("qwertyqwerty").
 */
export function passwordProblem(password: string, username?: string): PasswordProblem | null {
  const chars = [...password];
  if (chars.length < MIN_PASSWORD_LENGTH) return "too_short";
  if (new Set(chars).size < MIN_DISTINCT_CHARACTERS) return "too_few_characters";
  const lower = password.toLowerCase();
  if (username) {
    const name = username.trim().toLowerCase();
    // The local part of an e-mail-like username counts too ("wang.li" of "wang.li@nb.gov.cn").
    const parts = [name, name.split("@")[0] ?? ""].filter((p) => [...p].length >= 3);
    if (parts.some((p) => lower.includes(p))) return "contains_username";
  }
  if (isCommon(lower)) return "common";
  return null;
}

function isCommon(lower: string): boolean {
  if (common.has(lower)) return true;
  // A common word with digits or symbols around it.
  const core = lower.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, "");
  if (core !== lower && [...core].length >= 4 && common.has(core)) return true;
  // One short unit repeated: "qwertyqwerty", "abc123abc123".
  const unit = /^(.+?)\1+$/u.exec(lower)?.[1];
  return unit !== undefined && ([...unit].length < MIN_PASSWORD_LENGTH / 2 || common.has(unit));
}
