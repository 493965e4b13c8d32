import { type Config, ConfigError, loadConfig } from "../../src/config/config.ts";
import { loadDotEnv } from "../../src/config/env-file.ts";

/**
 * The service's configuration for a command-line script, read as at start-up (`.env` when present,
 * the real environment winning); null after printing what is wrong with it.
 */
export function scriptConfig(): Config | null {
  try {
    loadDotEnv();
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return null;
    }
    throw err;
  }
}
