import { createHmac, randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "../data/store.ts";
import type { Config } from "./config.ts";

export interface Secrets {
  /** 32-byte key for AES-256-GCM encryption of ID numbers. */
  encryptionKey: Buffer;
  /** Key for the keyed hash (HMAC) used to look up ID numbers without decrypting. */
  hashKey: Buffer;
  /** Signs web-chat session cookies. */
  sessionSecret: string;
}

type Stored = Partial<Record<"encryptionKey" | "hashKey" | "sessionSecret", string>>;

/**
 * Secrets from configuration, or generated once into the data directory (file mode 600) for
 * the embedded default, so a restart keeps decrypting what it stored. With DATA_ENCRYPTION_KEY
 * and SESSION_SECRET both set (several instances), nothing is written: the hash key is derived
 * from the encryption key, so every instance computes the same one.
 */
export function loadSecrets(config: Config): Secrets {
  const file = join(config.dataDir, "secrets.json");
  const existed = existsSync(file);
  const stored: Stored = existed ? (JSON.parse(readFileSync(file, "utf8")) as Stored) : {};
  if (config.DATA_ENCRYPTION_KEY && config.SESSION_SECRET && !stored.hashKey) {
    const encryptionKey = Buffer.from(config.DATA_ENCRYPTION_KEY, "hex");
    return {
      encryptionKey,
      hashKey: createHmac("sha256", encryptionKey).update("yongju:id-number-hash-key").digest(),
      sessionSecret: config.SESSION_SECRET,
    };
  }
  const generated = {
    encryptionKey: stored.encryptionKey ?? randomBytes(32).toString("hex"),
    hashKey: stored.hashKey ?? randomBytes(32).toString("hex"),
    sessionSecret: stored.sessionSecret ?? randomBytes(32).toString("hex"),
  };
  if (!stored.encryptionKey || !stored.hashKey || !stored.sessionSecret) {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    // Completing a file read above (an older one without some key). A file that appeared since it
    // was read is another instance's, starting at the same moment: createOnce fails and it is read.
    if (existed) writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
    else if (!createOnce(file, JSON.stringify(generated, null, 2))) return loadSecrets(config);
  }
  return {
    encryptionKey: Buffer.from(config.DATA_ENCRYPTION_KEY ?? generated.encryptionKey, "hex"),
    hashKey: Buffer.from(generated.hashKey, "hex"),
    sessionSecret: config.SESSION_SECRET ?? generated.sessionSecret,
  };
}

/**
 * Writes a new file atomically unless one exists: several instances starting together on a fresh
 * data directory must end up with the same keys. False when another process created it first.
 */
function createOnce(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(tmp, content, { mode: 0o600 });
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

function fingerprint(key: Buffer | string): string {
  return createHmac("sha256", key).update("yongju:key-check").digest("hex").slice(0, 32);
}

export class SecretsMismatchError extends Error {}

/**
 * Every instance sharing a database must use the same keys: one with another key could not read
 * the ID numbers the others stored, and would sign web-chat cookies the others reject. The first
 * instance records the keys' fingerprints (never the keys); a later one with different keys stops.
 */
export async function checkSecretsMatch(store: Store, secrets: Secrets, now: number): Promise<void> {
  const checks = [
    ["fingerprint.encryptionKey", fingerprint(secrets.encryptionKey), "DATA_ENCRYPTION_KEY"],
    ["fingerprint.hashKey", fingerprint(secrets.hashKey), "DATA_ENCRYPTION_KEY (the ID-number hash key)"],
    ["fingerprint.sessionSecret", fingerprint(secrets.sessionSecret), "SESSION_SECRET"],
  ] as const;
  for (const [key, value, variable] of checks) {
    const recorded = await store.settings.setIfAbsent(key, value, now);
    if (recorded !== value) {
      throw new SecretsMismatchError(
        `${variable} differs from the one this database was written with. Every instance must use the same keys ` +
          "(set DATA_ENCRYPTION_KEY and SESSION_SECRET to the same values everywhere, or copy data/secrets.json).",
      );
    }
  }
}
