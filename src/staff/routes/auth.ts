import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { errors } from "../../http/errors.ts";
import { authenticate, login, logout, requireSignedIn, SESSION_TTL_MS, STAFF_COOKIE, staffOf } from "../auth.ts";
import { errorSchema, okSchema, principalSchema, security } from "./schemas.ts";

const credentials = z.object({
  username: z.string({ error: "username is required" }).trim().min(1, { error: "username is required" }).max(64),
  password: z.string({ error: "password is required" }).min(1, { error: "password is required" }).max(256),
});

// 401 for any wrong credentials (unknown user, wrong password, disabled account), 429 while attempts from this address are slowed.
const loginErrors = { 400: errorSchema, 401: errorSchema, 429: errorSchema };

/** Login, logout and "who am I" for the staff API (bearer token) and the console (cookie). */
export function staffAuthRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      "/login",
      {
        schema: {
          tags: ["staff"],
          summary: "Sign in; use the token as Authorization: Bearer <token>",
          body: credentials,
          response: {
            200: z.object({ token: z.string(), expiresAt: z.number(), user: principalSchema }),
            ...loginErrors,
          },
        },
      },
      async (request) => {
        const result = await login(ctx, request.body.username, request.body.password, request.ip);
        return { token: result.token, expiresAt: result.expiresAt, user: result.user };
      },
    );

    // The console signs in here: the token goes into an httpOnly cookie the page's script
    // cannot read, and the page gets the CSRF token it must echo on every change.
    app.post(
      "/session",
      {
        schema: {
          tags: ["staff"],
          summary: "Console sign-in: sets the httpOnly session cookie",
          body: credentials,
          response: {
            200: z.object({ user: principalSchema, csrfToken: z.string(), expiresAt: z.number() }),
            ...loginErrors,
          },
        },
      },
      async (request, reply) => {
        const result = await login(ctx, request.body.username, request.body.password, request.ip);
        reply.setCookie(STAFF_COOKIE, result.token, {
          path: "/",
          httpOnly: true,
          sameSite: "strict",
          secure: "auto",
          maxAge: Math.floor(SESSION_TTL_MS / 1000),
        });
        return { user: result.user, csrfToken: result.csrfToken, expiresAt: result.expiresAt };
      },
    );

    app.get(
      "/me",
      {
        schema: {
          tags: ["staff"],
          summary: "The signed-in staff member (and, for the console, its CSRF token)",
          security,
          response: { 200: z.object({ user: principalSchema, csrfToken: z.string().optional() }), 401: errorSchema },
        },
      },
      async (request) => {
        const principal = await authenticate(ctx, request);
        if (!principal) throw errors.unauthorized("请先登录。");
        const { csrfToken, sessionId: _session, ...user } = principal;
        return request.headers.authorization ? { user } : { user, csrfToken };
      },
    );

    app.post(
      "/logout",
      {
        onRequest: requireSignedIn(ctx),
        schema: { tags: ["staff"], summary: "End this session", security, response: { 200: okSchema, 401: errorSchema } },
      },
      async (request, reply) => {
        staffOf(request);
        await logout(ctx, request);
        reply.clearCookie(STAFF_COOKIE, { path: "/" });
        return { ok: true as const };
      },
    );
  };
}
