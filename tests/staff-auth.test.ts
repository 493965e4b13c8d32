import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFirstAdmin } from "../src/staff/auth.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { bearer, STAFF_PASSWORD, staffToken } from "./helpers/staff.ts";
import { createStaffUser } from "../src/staff/auth.ts";
import { passwordProblem } from "../src/staff/password-policy.ts";

const BOSS_PASSWORD = "quiet-river-4821";
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ STAFF_ADMIN_USERNAME: "boss", STAFF_ADMIN_PASSWORD: BOSS_PASSWORD });
});
afterAll(() => t.close());

const login = (username: string, password: string, ip = "10.0.0.1") =>
  t.app.inject({ method: "POST", url: "/api/v1/staff/login", payload: { username, password }, remoteAddress: ip });
const me = (headers: Record<string, string>) => t.app.inject({ method: "GET", url: "/api/v1/staff/me", headers });

describe("staff accounts and sessions", () => {
  it("creates the first admin from STAFF_ADMIN_USERNAME/PASSWORD, who can sign in", async () => {
    const res = await login("boss", BOSS_PASSWORD);
    expect(res.statusCode).toBe(200);
    const { token, user } = res.json();
    expect(user).toMatchObject({ username: "boss", role: "admin" });
    expect((await me(bearer(token))).json().user.username).toBe("boss");
  });

  it("without configured credentials prints a one-time admin password exactly once", async () => {
    await t.sql.run(`DELETE FROM "StaffUser"`);
    const printed: string[] = [];
    await ensureFirstAdmin(
      { ...t.ctx, config: { ...t.ctx.config, STAFF_ADMIN_USERNAME: undefined, STAFF_ADMIN_PASSWORD: undefined } },
      (l) => printed.push(l),
    );
    expect(printed).toHaveLength(1);
    const password = /password: (\S+)/.exec(printed[0] as string)?.[1] as string;
    const signedIn = await login("admin", password);
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.json().user.mustChangePassword).toBe(true);
    // The generated password passes the policy every chosen password must.
    expect(passwordProblem(password, "admin")).toBeNull();
    // Until the one-time password is replaced, nothing else is allowed.
    const oneTime = bearer(signedIn.json().token);
    const blocked = await t.app.inject({ method: "GET", url: "/api/v1/staff/stats", headers: oneTime });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().error.code).toBe("password_change_required");
    const changed = await t.app.inject({
      method: "POST",
      url: "/api/v1/staff/me/password",
      headers: oneTime,
      payload: { currentPassword: password, password: "my-own-lantern-61" },
    });
    expect(changed.statusCode).toBe(200);
    expect((await t.app.inject({ method: "GET", url: "/api/v1/staff/stats", headers: oneTime })).statusCode).toBe(200);
    expect((await login("admin", "my-own-lantern-61")).json().user.mustChangePassword).toBe(false);
    // Next start: accounts exist, nothing is printed again.
    await ensureFirstAdmin(t.ctx, (l) => printed.push(l));
    expect(printed).toHaveLength(1);
    // The password is stored only as an argon2 hash.
    const row = (await t.sql.get<{
      passwordHash: string;
    }>(`SELECT passwordHash FROM "StaffUser" WHERE username = 'admin'`))!;
    expect(row.passwordHash.startsWith("$argon2id$")).toBe(true);
    expect(row.passwordHash).not.toContain("my-own-lantern-61");
  });

  it("stores only a hash of the session token", async () => {
    const token = await staffToken(t, "agent");
    const rows = await t.sql.all<{ id: string }>(`SELECT id FROM "StaffSession"`);
    expect(rows.some((r) => r.id === token)).toBe(false);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.id))).toBe(true);
  });

  it("answers 401 with the error shape for missing, malformed and unknown tokens", async () => {
    for (const headers of [
      {},
      { authorization: "Bearer" },
      { authorization: "Bearer not-a-real-token" },
      { authorization: "Basic abc" },
    ]) {
      const res = await t.app.inject({ method: "GET", url: "/api/v1/staff/conversations", headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
    }
  });

  it("expires sessions after 12 hours", async () => {
    const token = await staffToken(t, "reviewer");
    expect((await me(bearer(token))).statusCode).toBe(200);
    t.clock.advance(11 * 60 * 60 * 1000);
    expect((await me(bearer(token))).statusCode).toBe(200);
    t.clock.advance(60 * 60 * 1000 + 1);
    const res = await me(bearer(token));
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toContain("过期");
  });

  it("logout ends the session", async () => {
    const token = await staffToken(t, "agent");
    const out = await t.app.inject({ method: "POST", url: "/api/v1/staff/logout", headers: bearer(token) });
    expect(out.statusCode).toBe(200);
    expect((await me(bearer(token))).statusCode).toBe(401);
  });

  it("the console session uses an httpOnly cookie and needs the CSRF header for changes", async () => {
    await createStaffUser(t.ctx, { username: "console-user", password: STAFF_PASSWORD, role: "agent" });
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/staff/session",
      payload: { username: "console-user", password: STAFF_PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    const setCookie = String(res.headers["set-cookie"]);
    expect(setCookie).toMatch(/yj_staff=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(res.json()).not.toHaveProperty("token");
    const cookie = setCookie.split(";")[0] as string;
    const { csrfToken } = res.json();

    const who = await me({ cookie });
    expect(who.json()).toMatchObject({ user: { username: "console-user" }, csrfToken });
    // Reads work with the cookie alone; a change without the CSRF header is refused.
    expect((await t.app.inject({ method: "GET", url: "/api/v1/staff/conversations", headers: { cookie } })).statusCode).toBe(200);
    const noCsrf = await t.app.inject({ method: "POST", url: "/api/v1/staff/logout", headers: { cookie } });
    expect(noCsrf.statusCode).toBe(403);
    const wrongCsrf = await t.app.inject({
      method: "POST",
      url: "/api/v1/staff/logout",
      headers: { cookie, "x-csrf-token": "nope" },
    });
    expect(wrongCsrf.statusCode).toBe(403);
    const ok = await t.app.inject({
      method: "POST",
      url: "/api/v1/staff/logout",
      headers: { cookie, "x-csrf-token": csrfToken },
    });
    expect(ok.statusCode).toBe(200);
    expect((await me({ cookie })).statusCode).toBe(401);
  });

  it("lets admins manage accounts; a disabled account's sessions end", async () => {
    const adminToken = await staffToken(t, "admin");
    const created = await t.app.inject({
      method: "POST",
      url: "/api/v1/staff/users",
      headers: bearer(adminToken),
      payload: { username: "newbie", password: "plum-blossom-77", role: "agent" },
    });
    expect(created.statusCode).toBe(200);
    const dup = await t.app.inject({
      method: "POST",
      url: "/api/v1/staff/users",
      headers: bearer(adminToken),
      payload: { username: "newbie", password: "plum-blossom-77", role: "agent" },
    });
    expect(dup.statusCode).toBe(409);
    const token = (await login("newbie", "plum-blossom-77", "10.3.0.1")).json().token;
    expect((await me(bearer(token))).statusCode).toBe(200);

    const agentToken = await staffToken(t, "agent");
    const notAdmin = await t.app.inject({ method: "GET", url: "/api/v1/staff/users", headers: bearer(agentToken) });
    expect(notAdmin.statusCode).toBe(403);

    const disable = await t.app.inject({
      method: "PATCH",
      url: `/api/v1/staff/users/${created.json().id}`,
      headers: bearer(adminToken),
      payload: { disabled: true },
    });
    expect(disable.json().disabled).toBe(true);
    expect((await me(bearer(token))).statusCode).toBe(401);
    expect((await login("newbie", "plum-blossom-77", "10.3.0.1")).statusCode).toBe(401);
  });
});
