import { existsSync } from "node:fs";
import { resolve } from "node:path";

/**
 * Reads `.env` in the working directory into process.env when the file exists (Node's own
 * parser, process.loadEnvFile). A variable already set in the real environment wins, even when
 * set to an empty value: the file only fills in what the environment leaves out. Returns the
 * file read, for the start-up log, or null.
 */
export function loadDotEnv(path = resolve(process.cwd(), ".env"), env: NodeJS.ProcessEnv = process.env): string | null {
  if (!existsSync(path)) return null;
  const before = { ...env };
  process.loadEnvFile(path);
  // loadEnvFile does not override what is set; restore anyway in case a Node version does.
  for (const [key, value] of Object.entries(before)) if (value !== undefined) env[key] = value;
  return path;
}
