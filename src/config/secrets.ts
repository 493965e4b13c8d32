import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "./config.ts";

export interface Secrets {
  /** 32-byte key for AES-256-GCM encryption of ID numbers. */
  encryptionKey: Buffer;
  /** Key for the keyed hash (HMAC) used to look up ID numbers without decrypting. */
  hashKey: Buffer;
  /** Signs web-chat session cookies. */
  sessionSecret: string;
}

/**
 * Secrets from configuration, or generated once into the data directory (file mode 600) for
 * the embedded default, so a restart keeps decrypting what it stored.
 */
export function loadSecrets(config: Config): Secrets {
  const file = join(config.dataDir, "secrets.json");
  let stored: Partial<Record<"encryptionKey" | "hashKey" | "sessionSecret", string>> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, "utf8"));
  const generated = {
    encryptionKey: stored.encryptionKey ?? randomBytes(32).toString("hex"),
    hashKey: stored.hashKey ?? randomBytes(32).toString("hex"),
    sessionSecret: stored.sessionSecret ?? randomBytes(32).toString("hex"),
  };
  if (!stored.encryptionKey || !stored.hashKey || !stored.sessionSecret) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
  }
  const encryptionKey = Buffer.from(config.DATA_ENCRYPTION_KEY ?? generated.encryptionKey, "hex");
  return {
    encryptionKey,
    hashKey: Buffer.from(generated.hashKey, "hex"),
    sessionSecret: config.SESSION_SECRET ?? generated.sessionSecret,
  };
}
