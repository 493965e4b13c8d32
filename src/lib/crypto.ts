import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";

/**
 * Personal-data helpers: ID numbers are stored encrypted (AES-256-GCM), looked up by a keyed
 * hash (HMAC-SHA256, so a leaked table cannot be reversed by enumerating the ID space without
 * the key), and shown masked.
 */

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Upper-cases the check character and drops spaces so equal IDs encrypt/hash the same way. */
export function normalizeIdNumber(id: string): string {
  return id.replace(/\s+/g, "").toUpperCase();
}

/** Encrypts a value as `v1.<base64url(iv | tag | ciphertext)>`. */
export function encryptSecret(key: Buffer, plain: string): string {
  if (key.length !== 32) throw new Error("encryption key must be 32 bytes");
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ciphertext = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString("base64url")}`;
}

/** Decrypts what encryptSecret produced; throws when the key is wrong or the text was altered. */
export function decryptSecret(key: Buffer, sealed: string): string {
  const [version, body] = sealed.split(".");
  if (version !== VERSION || !body) throw new Error("unknown ciphertext format");
  const raw = Buffer.from(body, "base64url");
  if (raw.length < IV_BYTES + TAG_BYTES) throw new Error("ciphertext too short");
  const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
}

/** Keyed hash of an ID number for equality look-ups (hex). */
export function hashIdNumber(hashKey: Buffer, id: string): string {
  return createHmac("sha256", hashKey).update(normalizeIdNumber(id)).digest("hex");
}

export { maskIdNumber, maskPhone } from "./personal-numbers.ts";
