import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import argon2 from "argon2";
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import type { AppContext } from "../context.ts";
import { isUniqueViolation } from "../data/db.ts";
import type { AuditEntry } from "../domain/audit.ts";
import { AppError, errors } from "../http/errors.ts";
import { checkLoginThrottle, recordLoginFailure, recordLoginSuccess } from "./login-throttle.ts";
import { passwordProblem, passwordProblemText } from "./password-policy.ts";

/** editor: the knowledge editor (catalogue, unanswered questions, dashboard); no conversations, applications or accounts. */
export const staffRoles = ["agent", "reviewer", "editor", "admin"] as const;
export type StaffRole = (typeof staffRoles)[number];

/** The signed-in staff member a request acts for. */
export interface StaffPrincipal {
  id: string;
  username: string;
  role: StaffRole;
  /** Signed in with a generated one-time password: only "change my password" is allowed. */
  mustChangePassword?: boolean;
  /** The session this request came with (set by requireRole / requireSignedIn). */
  sessionId?: string;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Set by requireRole() once the caller is authenticated. */
    staff?: StaffPrincipal;
  }
}

/** The console's session cookie (httpOnly); unsafe methods also need the CSRF header. */
export const STAFF_COOKIE = "yj_staff";
export const CSRF_HEADER = "x-csrf-token";
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export const sha256 = (value: string): string => createHash("sha256").update(value).digest("hex");

export function isStaffRole(value: string): value is StaffRole {
  return (staffRoles as readonly string[]).includes(value);
}

/**
 * argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): ~30 ms here, so a
 * login stays quick on a 2-core machine while an offline guess stays expensive.
 */
export async function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
}

/** The staff password policy (password-policy.ts), checked wherever a password is set: 400 weak_password. */
export function checkPasswordStrength(password: string, username: string): void {
  const problem = passwordProblem(password, username);
  if (problem) throw errors.badRequest(passwordProblemText[problem], "weak_password");
}

/** Creates a staff account (argon2id hash). Throws 409 when the username is taken. */
export async function createStaffUser(
  ctx: AppContext,
  input: { username: string; password: string; role: StaffRole; displayName?: string | null; mustChangePassword?: boolean },
  audit?: (id: string) => AuditEntry,
): Promise<StaffPrincipal> {
  const username = input.username.trim();
  if (!/^[A-Za-z0-9._@-]{2,64}$/.test(username)) {
    throw errors.badRequest("用户名只能用字母、数字和 . _ @ -，2 到 64 位。", "invalid_username");
  }
  checkPasswordStrength(input.password, username);
  if (await ctx.store.staff.findByName(username)) throw errors.conflict("这个用户名已经有人用了。", "username_taken");
  const passwordHash = await hashPassword(input.password);
  const id = randomUUID();
  const auditEntry = audit?.(id);
  try {
    await ctx.store.staff.create(
      {
        id,
        username,
        displayName: input.displayName ?? null,
        passwordHash,
        role: input.role,
        mustChangePassword: input.mustChangePassword ?? false,
      },
      ctx.clock.now(),
      auditEntry,
    );
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw errors.conflict("这个用户名已经有人用了。", "username_taken");
    }
    throw err;
  }
  return { id, username, role: input.role };
}

/**
 * The first admin, when no staff account exists: from STAFF_ADMIN_USERNAME/PASSWORD, or with
 * a generated one-time password printed once to stdout (it is stored only as a hash).
 */
export async function ensureFirstAdmin(
  ctx: AppContext,
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<void> {
  if ((await ctx.store.staff.count()) > 0) return;
  const username = ctx.config.STAFF_ADMIN_USERNAME ?? "admin";
  const fromEnv = ctx.config.STAFF_ADMIN_PASSWORD;
  // 16 random characters; drawn again in the rare case one breaks the policy (a run of few characters, the username).
  let password = fromEnv ?? randomBytes(12).toString("base64url");
  while (!fromEnv && passwordProblem(password, username)) password = randomBytes(12).toString("base64url");
  try {
    // A generated password was printed to a terminal: it must be replaced at the first sign-in.
    await createStaffUser(ctx, { username, password, role: "admin", mustChangePassword: !fromEnv }, (id) => ({
      staffUserId: id,
      username,
      action: "staff.bootstrap_admin",
    }));
  } catch (err) {
    // Another instance starting on the same database created it first.
    if (err instanceof AppError && err.code === "username_taken") return;
    if (err instanceof AppError) throw new Error(`STAFF_ADMIN_USERNAME: ${err.publicMessage}`);
    throw err;
  }
  if (fromEnv) {
    ctx.log.info({ username }, "created the first staff admin from STAFF_ADMIN_USERNAME");
  } else {
    print(
      [
        "================================================================",
        "甬居助手: first start, no staff account yet. A one-time admin login:",
        `  username: ${username}`,
        `  password: ${password}`,
        "Sign in at /staff: you will be asked to choose a new password. It is shown only this once.",
        "================================================================",
      ].join("\n"),
    );
  }
}

let dummyHash: Promise<string> | null = null;

export interface LoginResult {
  token: string;
  csrfToken: string;
  expiresAt: number;
  user: StaffPrincipal;
}

/**
 * Checks a username and password and opens a session. Wrong credentials, an unknown user and
 * a disabled account all get the same 401; attempts after repeated failures from this address
 * get 429 for a while (login-throttle.ts), the same whether or not the username exists.
 */
export async function login(ctx: AppContext, username: string, password: string, ip: string): Promise<LoginResult> {
  const name = username.trim();
  await checkLoginThrottle(ctx, name, ip);
  const user = await ctx.store.staff.findByName(name);
  if (!user) {
    // Same work as a real check, so response time does not reveal which usernames exist.
    dummyHash ??= hashPassword(randomBytes(16).toString("hex"));
    await argon2.verify(await dummyHash, password).catch(() => false);
    await recordLoginFailure(ctx, name, ip, null);
    throw errors.unauthorized("用户名或密码不对。");
  }
  const ok = await argon2.verify(user.passwordHash, password).catch(() => false);
  if (!ok) {
    await recordLoginFailure(ctx, name, ip, user);
    throw errors.unauthorized("用户名或密码不对。");
  }
  if (user.disabled || !isStaffRole(user.role)) throw errors.unauthorized("用户名或密码不对。");
  const now = ctx.clock.now();
  await recordLoginSuccess(ctx, name, ip);
  const token = randomBytes(32).toString("base64url");
  const csrfToken = randomBytes(24).toString("base64url");
  const expiresAt = now + SESSION_TTL_MS;
  await ctx.store.staff.createSession({ id: sha256(token), staffUserId: user.id, csrfToken, expiresAt }, now);
  await ctx.store.audit.record({ staffUserId: user.id, username: user.username, action: "staff.login", detail: ip }, now);
  return {
    token,
    csrfToken,
    expiresAt,
    user: { id: user.id, username: user.username, role: user.role, mustChangePassword: user.mustChangePassword },
  };
}

/** Ends the session the request was authenticated with. */
export async function logout(ctx: AppContext, request: FastifyRequest): Promise<void> {
  const found = credentials(request);
  if (found) await ctx.store.staff.deleteSession(sha256(found.token));
}

function credentials(request: FastifyRequest): { token: string; via: "bearer" | "cookie" } | null {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ? { token: match[1], via: "bearer" } : null;
  }
  const cookie = request.cookies?.[STAFF_COOKIE];
  return cookie ? { token: cookie, via: "cookie" } : null;
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Authenticates the request (bearer token or console cookie + CSRF); null when it carries none. */
export async function authenticate(
  ctx: AppContext,
  request: FastifyRequest,
): Promise<(StaffPrincipal & { csrfToken: string; sessionId: string }) | null> {
  const found = credentials(request);
  if (!found) return null;
  const session = await ctx.store.staff.findSession(sha256(found.token));
  if (!session) throw errors.unauthorized("登录已失效，请重新登录。");
  if (session.expiresAt <= ctx.clock.now()) {
    await ctx.store.staff.deleteSession(session.sessionId);
    throw errors.unauthorized("登录已过期，请重新登录。");
  }
  if (session.disabled || !isStaffRole(session.role)) throw errors.unauthorized("这个账号已停用。");
  if (found.via === "cookie" && UNSAFE.has(request.method)) {
    const header = request.headers[CSRF_HEADER];
    if (typeof header !== "string" || !sameString(header, session.csrfToken)) {
      throw errors.forbidden("页面已过期（CSRF 校验未通过），请刷新后重试。");
    }
  }
  return {
    id: session.userId,
    username: session.username,
    role: session.role,
    mustChangePassword: session.mustChangePassword,
    csrfToken: session.csrfToken,
    sessionId: session.sessionId,
  };
}

/**
 * An onRequest hook that lets through only signed-in staff with one of `roles` (admin passes
 * every check): 401 without valid credentials, 403 for a role that may not do this. Use it as
 * `onRequest`, never `preHandler`: it must run before the body is parsed and validated, so an
 * unauthenticated caller learns nothing about a route's fields.
 */
export function requireRole(ctx: AppContext, ...roles: StaffRole[]): onRequestAsyncHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const principal = await authenticate(ctx, request);
    if (!principal) throw errors.unauthorized("请先登录（需要 Authorization: Bearer <token>）。");
    if (principal.mustChangePassword) {
      throw new AppError(403, "password_change_required", "请先修改初始密码（POST /api/v1/staff/me/password）。");
    }
    if (principal.role !== "admin" && roles.length > 0 && !roles.includes(principal.role)) {
      throw errors.forbidden("您的账号角色无权进行这个操作。");
    }
    request.staff = { id: principal.id, username: principal.username, role: principal.role, sessionId: principal.sessionId };
  };
}

/** Any signed-in staff member, even one who still has to change a one-time password (logout, change password). */
export function requireSignedIn(ctx: AppContext): onRequestAsyncHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const principal = await authenticate(ctx, request);
    if (!principal) throw errors.unauthorized("请先登录（需要 Authorization: Bearer <token>）。");
    request.staff = { id: principal.id, username: principal.username, role: principal.role, sessionId: principal.sessionId };
  };
}

/** The principal set by requireRole(); a route without it is a programming error. */
export function staffOf(request: FastifyRequest): StaffPrincipal {
  if (!request.staff) throw errors.unauthorized();
  return request.staff;
}
