/**
 * Generated secrets (no DATA_ENCRYPTION_KEY / SESSION_SECRET): several instances started at the
 * same moment on a fresh data directory must end up with the same keys, or the later ones refuse
 * to start (their fingerprints differ from the first's) and could not read what the others stored.
 * The race is made to happen every time: another instance's file appears right after this one
 * found none.
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";

const race = vi.hoisted(() => ({ file: "", content: "", armed: false }));
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  return {
    ...real,
    existsSync: (path: fs.PathLike) => {
      const found = real.existsSync(path);
      if (race.armed && String(path) === race.file && !found) {
        race.armed = false;
        real.writeFileSync(race.file, race.content, { mode: 0o600 });
      }
      return found;
    },
  };
});

const { loadConfig } = await import("../../src/config/config.ts");
const { loadSecrets } = await import("../../src/config/secrets.ts");

const dir = fs.mkdtempSync(join(tmpdir(), "yongju-secrets-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("generated secrets", () => {
  it("are another instance's when its file appears while this one starts, never a second set", () => {
    const other = { encryptionKey: "a".repeat(64), hashKey: "b".repeat(64), sessionSecret: "c".repeat(64) };
    Object.assign(race, { file: join(dir, "secrets.json"), content: JSON.stringify(other), armed: true });
    const secrets = loadSecrets(loadConfig({ DATA_DIR: dir }));
    expect(race.armed).toBe(false);
    expect(secrets.encryptionKey.toString("hex")).toBe(other.encryptionKey);
    expect(secrets.hashKey.toString("hex")).toBe(other.hashKey);
    expect(secrets.sessionSecret).toBe(other.sessionSecret);
    expect(JSON.parse(fs.readFileSync(race.file, "utf8"))).toEqual(other);
    // A restart reads the same file.
    expect(loadSecrets(loadConfig({ DATA_DIR: dir })).sessionSecret).toBe(other.sessionSecret);
  });
});
