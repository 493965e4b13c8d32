/**
 * Sign-in abuse: failed sign-ins slowed per account-and-address and per address (in the
 * database, so every instance counts the same), no oracle for which usernames exist, the
 * password policy, and sessions ended by a password change.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, ConfigError } from "../src/config/config.ts";
import { createStaffUser } from "../src/staff/auth.ts";
import { LOGIN_THROTTLE, throttleDelayMs } from "../src/staff/login-throttle.ts";
import { passwordProblem } from "../src/staff/password-policy.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { bearer, STAFF_PASSWORD, staffToken } from "./helpers/staff.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const login = (username: string, password: string, ip: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: "POST", url: "/api/v1/staff/login", payload: { username, password }, remoteAddress: ip, headers });

const auditRows = (action: string) =>
  t.sql.all<{ username: string | null; targetType: string | null; targetId: string | null; detail: string | null }>(
    `SELECT username, targetType, targetId, detail FROM "AuditLog" WHERE action = ? ORDER BY id`,
    action,
  );

describe("failed sign-ins", () => {
  it("slow further attempts from that address, exponentially and up to a cap, while the owner signs in elsewhere", async () => {
    await createStaffUser(t.ctx, { username: "target-1", password: STAFF_PASSWORD, role: "admin" });
    const attacker = "10.10.0.1";
    for (let i = 0; i < LOGIN_THROTTLE.freePerAccount + 1; i++) {
      expect((await login("target-1", `wrong-guess-${i}`, attacker)).statusCode).toBe(401);
    }
    // Now every attempt from there waits, even with the right password: 1 s, then 2 s, 4 s…
    const slowed = await login("target-1", STAFF_PASSWORD, attacker);
    expect(slowed.statusCode).toBe(429);
    expect(slowed.json().error.code).toBe("login_throttled");
    expect(slowed.headers["retry-after"]).toBe("1");
    t.clock.advance(1000);
    expect((await login("target-1", "wrong-again", attacker)).statusCode).toBe(401);
    expect((await login("target-1", "wrong-again", attacker)).headers["retry-after"]).toBe("2");

    // The owner, from their own address, is never held up by someone else's guesses.
    expect((await login("target-1", STAFF_PASSWORD, "10.10.0.2")).statusCode).toBe(200);

    // The delay doubles and stops at 15 minutes; the attacker's address is not locked out for good.
    expect(throttleDelayMs(LOGIN_THROTTLE.freePerAccount + 3, LOGIN_THROTTLE.freePerAccount)).toBe(4000);
    expect(throttleDelayMs(1000, LOGIN_THROTTLE.freePerAccount)).toBe(LOGIN_THROTTLE.maxDelayMs);
    t.clock.advance(LOGIN_THROTTLE.maxDelayMs);
    expect((await login("target-1", STAFF_PASSWORD, attacker)).statusCode).toBe(200);
    // …and a success from there forgets that address's failures for this account.
    expect((await login("target-1", "one-typo", attacker)).statusCode).toBe(401);
    expect((await login("target-1", STAFF_PASSWORD, attacker)).statusCode).toBe(200);

    // Admins see it in the audit log, through the API.
    const admin = await staffToken(t, "admin");
    const audit = await t.app.inject({
      method: "GET",
      url: "/api/v1/staff/audit?action=staff.login_throttled",
      headers: bearer(admin),
    });
    expect(audit.statusCode).toBe(200);
    expect(audit.json().items).toEqual([
      expect.objectContaining({ username: "target-1", targetType: "staff", detail: expect.stringContaining(attacker) }),
    ]);
  });

  it("answer an unknown username exactly as a real one: the same 401, the same slowing", async () => {
    await createStaffUser(t.ctx, { username: "real-user", password: STAFF_PASSWORD, role: "agent" });
    const answers = async (username: string, ip: string) => {
      const out: string[] = [];
      for (let i = 0; i < LOGIN_THROTTLE.freePerAccount + 2; i++) {
        const res = await login(username, "not-the-password", ip);
        out.push(`${res.statusCode} ${res.body} ${res.headers["retry-after"] ?? ""}`);
      }
      return out;
    };
    const real = await answers("real-user", "10.11.0.1");
    const ghost = await answers("no-such-user", "10.11.0.2");
    expect(ghost).toEqual(real);
    expect(real.at(-1)).toMatch(/^429 /);
    expect(real[0]).toMatch(/^401 /);
    // No 423 or any other status that would tell a locked account from a missing one.
    expect(new Set([...real, ...ghost].map((a) => a.slice(0, 3)))).toEqual(new Set(["401", "429"]));
  });

  it("are counted per address across usernames (password spraying), and the address shows in the audit log", async () => {
    const sprayer = "10.12.0.1";
    for (let i = 0; i < LOGIN_THROTTLE.freePerAddress + 1; i++) {
      expect((await login(`user-${i}`, "Summer2024!", sprayer)).statusCode).toBe(401);
    }
    expect((await login("yet-another-user", "Summer2024!", sprayer)).statusCode).toBe(429);
    // Other addresses are not affected.
    expect((await login("yet-another-user", "Summer2024!", "10.12.0.2")).statusCode).toBe(401);
    expect(await auditRows("staff.login_throttled")).toContainEqual(
      expect.objectContaining({ username: null, targetType: "address", targetId: sprayer }),
    );
  });

  it("are counted in the database: a second instance sees the first one's count", async () => {
    const other = await createTestApp({}, { databaseUrl: t.databaseUrl, dir: t.dir });
    try {
      other.clock.set(t.clock.now());
      await createStaffUser(t.ctx, { username: "shared-count", password: STAFF_PASSWORD, role: "agent" });
      const ip = "10.13.0.1";
      for (let i = 0; i < LOGIN_THROTTLE.freePerAccount + 1; i++) {
        const app = i % 2 ? other.app : t.app;
        const res = await app.inject({
          method: "POST",
          url: "/api/v1/staff/login",
          payload: { username: "shared-count", password: "nope-nope" },
          remoteAddress: ip,
        });
        expect(res.statusCode).toBe(401);
      }
      const next = await other.app.inject({
        method: "POST",
        url: "/api/v1/staff/login",
        payload: { username: "shared-count", password: STAFF_PASSWORD },
        remoteAddress: ip,
      });
      expect(next.statusCode).toBe(429);
    } finally {
      await other.close();
    }
  });

  it("show as `locked` to admins, who can clear them", async () => {
    await createStaffUser(t.ctx, { username: "locked-out", password: STAFF_PASSWORD, role: "agent" });
    const ip = "10.14.0.1";
    for (let i = 0; i < LOGIN_THROTTLE.freePerAccount + 1; i++) await login("locked-out", "bad-bad-bad", ip);
    const admin = bearer(await staffToken(t, "admin"));
    const users = (await t.app.inject({ method: "GET", url: "/api/v1/staff/users", headers: admin })).json().items as {
      id: string;
      username: string;
      locked: boolean;
    }[];
    const row = users.find((u) => u.username === "locked-out")!;
    expect(row.locked).toBe(true);
    const unlocked = await t.app.inject({
      method: "PATCH",
      url: `/api/v1/staff/users/${row.id}`,
      headers: admin,
      payload: { unlock: true },
    });
    expect(unlocked.json().locked).toBe(false);
    expect((await login("locked-out", STAFF_PASSWORD, ip)).statusCode).toBe(200);
  });
});

describe("the client's address", () => {
  it("is the TCP peer's unless TRUST_PROXY lists the proxy: a forged X-Forwarded-For changes nothing", async () => {
    await createStaffUser(t.ctx, { username: "xff-target", password: STAFF_PASSWORD, role: "agent" });
    // Rotating X-Forwarded-For used to give every guess a fresh address.
    for (let i = 0; i < LOGIN_THROTTLE.freePerAccount + 1; i++) {
      await login("xff-target", "guess", "10.15.0.1", { "x-forwarded-for": `198.51.100.${i}` });
    }
    expect((await login("xff-target", "guess", "10.15.0.1", { "x-forwarded-for": "198.51.100.99" })).statusCode).toBe(429);
    await login("xff-target", STAFF_PASSWORD, "10.15.0.9", { "x-forwarded-for": "203.0.113.5" });
    const detail = (
      await t.sql.get<{ detail: string }>(`SELECT detail FROM "AuditLog" WHERE action = 'staff.login' ORDER BY id DESC`)
    )?.detail;
    expect(detail).toBe("10.15.0.9");
  });

  it("comes from X-Forwarded-For only when the sender is a trusted proxy", async () => {
    const proxied = await createTestApp({ TRUST_PROXY: "10.16.0.1, 192.168.0.0/16" });
    try {
      const signIn = (remoteAddress: string, forwarded: string) =>
        proxied.app.inject({
          method: "POST",
          url: "/api/v1/staff/login",
          payload: { username: "admin", password: proxied.ctx.config.STAFF_ADMIN_PASSWORD },
          remoteAddress,
          headers: { "x-forwarded-for": forwarded },
        });
      const last = async () =>
        (await proxied.sql.get<{ detail: string }>(`SELECT detail FROM "AuditLog" WHERE action = 'staff.login' ORDER BY id DESC`))
          ?.detail;
      expect((await signIn("10.16.0.1", "203.0.113.7")).statusCode).toBe(200);
      expect(await last()).toBe("203.0.113.7");
      expect((await signIn("192.168.4.4", "203.0.113.8")).statusCode).toBe(200);
      expect(await last()).toBe("203.0.113.8");
      // A client that is not a listed proxy cannot choose its address.
      expect((await signIn("10.99.0.1", "203.0.113.9")).statusCode).toBe(200);
      expect(await last()).toBe("10.99.0.1");
    } finally {
      await proxied.close();
    }
  });

  it("TRUST_PROXY takes addresses and CIDR ranges only", () => {
    expect(loadConfig({ TRUST_PROXY: "127.0.0.1,10.0.0.0/8, ::1" }).TRUST_PROXY).toEqual(["127.0.0.1", "10.0.0.0/8", "::1"]);
    expect(loadConfig({}).TRUST_PROXY).toEqual([]);
    for (const bad of ["true", "*", "10.0.0.0/33", "example.com"]) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(ConfigError);
    }
  });
});

describe("the password policy", () => {
  it("refuses short, repetitive, common and username-bearing passwords wherever one is set", async () => {
    const admin = bearer(await staffToken(t, "admin"));
    const create = (username: string, password: string) =>
      t.app.inject({
        method: "POST",
        url: "/api/v1/staff/users",
        headers: admin,
        payload: { username, password, role: "agent" },
      });
    for (const weak of [
      "aaaaaaaa",
      "12345678",
      "aaaaaaaaaaaaaaaa",
      "abababababab",
      "password1234",
      "qwertyuiop123",
      "Dragon2024!!!",
    ]) {
      const res = await create("policy-user", weak);
      expect(res.statusCode, weak).toBe(400);
      expect(res.json().error.code, weak).toBe("weak_password");
    }
    const named = await create("wangfang", "wangfang-lantern-9");
    expect(named.json().error.message).toContain("用户名");
    expect((await create("policy-user", "tea-garden-bicycle-31")).statusCode).toBe(200);

    const token = await staffToken(t, "agent", "changer-1");
    const change = (password: string) =>
      t.app.inject({
        method: "POST",
        url: "/api/v1/staff/me/password",
        headers: bearer(token),
        payload: { currentPassword: STAFF_PASSWORD, password },
      });
    expect((await change("12345678")).json().error.code).toBe("weak_password");
    expect((await change("changer-1-is-me")).json().error.code).toBe("weak_password");
  });

  it("also holds for the first admin from STAFF_ADMIN_PASSWORD", () => {
    const problems = (password: string) => {
      try {
        loadConfig({ STAFF_ADMIN_USERNAME: "chief", STAFF_ADMIN_PASSWORD: password });
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    expect(problems("12345678")).toEqual(["STAFF_ADMIN_PASSWORD: must be at least 12 characters"]);
    expect(problems("chief-of-staff-2026")).toEqual(["STAFF_ADMIN_PASSWORD: must not contain the username"]);
    expect(problems("iloveyou1234")[0]).toContain("common password");
    expect(problems("slow-ferry-harbour-9")).toEqual([]);
    expect(passwordProblem("zzzzzzzzzzzzzz")).toBe("too_few_characters");
  });
});

describe("a password change", () => {
  it("ends every other session of the account, keeping the one that changed it", async () => {
    await createStaffUser(t.ctx, { username: "two-devices", password: STAFF_PASSWORD, role: "agent" });
    const signIn = async (ip: string) => (await login("two-devices", STAFF_PASSWORD, ip)).json().token as string;
    const phone = await signIn("10.20.0.1");
    const laptop = await signIn("10.20.0.2");
    const changed = await t.app.inject({
      method: "POST",
      url: "/api/v1/staff/me/password",
      headers: bearer(laptop),
      payload: { currentPassword: STAFF_PASSWORD, password: "river-stone-cedar-8" },
    });
    expect(changed.statusCode).toBe(200);
    const me = (token: string) => t.app.inject({ method: "GET", url: "/api/v1/staff/me", headers: bearer(token) });
    expect((await me(phone)).statusCode).toBe(401);
    expect((await me(laptop)).statusCode).toBe(200);
    expect((await login("two-devices", STAFF_PASSWORD, "10.20.0.3")).statusCode).toBe(401);
    expect((await login("two-devices", "river-stone-cedar-8", "10.20.0.3")).statusCode).toBe(200);
  });
});
