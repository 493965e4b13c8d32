import argon2 from "argon2";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import type { StaffUserRow } from "../../data/staff.ts";
import { errors } from "../../http/errors.ts";
import { checkPasswordStrength, createStaffUser, hashPassword, requireRole, requireSignedIn, staffOf } from "../auth.ts";
import { clearLoginThrottle, isLoginThrottled } from "../login-throttle.ts";
import { errorResponses, idParams, security, staffRoleSchema } from "./schemas.ts";

export const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string().nullable(),
  role: z.string(),
  disabled: z.boolean(),
  locked: z.boolean(),
  createdAt: z.number(),
});

export const auditItemSchema = z.object({
  id: z.number(),
  staffUserId: z.string().nullable(),
  username: z.string().nullable(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  detail: z.string().nullable(),
  createdAt: z.number(),
});

/** Staff accounts and the audit log: admins only. */
export function staffAdminRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    const admin = requireRole(ctx, "admin");

    const find = async (id: string): Promise<StaffUserRow> => {
      const u = await ctx.store.staff.find(id);
      if (!u) throw errors.notFound("没有这个账号。");
      return u;
    };
    // `locked`: sign-ins to this account are being slowed from some address (login-throttle.ts).
    const view = async (u: StaffUserRow) => ({
      id: u.id,
      username: u.username,
      displayName: u.displayName,
      role: u.role,
      disabled: u.disabled,
      locked: await isLoginThrottled(ctx, u.username),
      createdAt: u.createdAt,
    });

    app.get(
      "/users",
      {
        onRequest: admin,
        schema: {
          tags: ["staff: admin"],
          summary: "Staff accounts",
          security,
          response: { 200: z.object({ items: z.array(userSchema) }), ...errorResponses },
        },
      },
      async () => ({ items: await Promise.all((await ctx.store.staff.list()).map(view)) }),
    );

    app.post(
      "/users",
      {
        onRequest: admin,
        schema: {
          tags: ["staff: admin"],
          summary: "Create a staff account",
          security,
          body: z.object({
            username: z.string().trim().min(2).max(64),
            password: z.string().min(1, { error: "password is required" }).max(256),
            role: staffRoleSchema,
            displayName: z.string().trim().max(64).optional(),
          }),
          response: { 200: userSchema, ...errorResponses },
        },
      },
      async (request) => {
        const me = staffOf(request);
        const created = await createStaffUser(ctx, request.body, (id) => ({
          staffUserId: me.id,
          username: me.username,
          action: "staff.create",
          targetType: "staff",
          targetId: id,
          detail: `${request.body.username.trim()} (${request.body.role})`,
        }));
        return view(await find(created.id));
      },
    );

    app.patch(
      "/users/:id",
      {
        onRequest: admin,
        schema: {
          tags: ["staff: admin"],
          summary: "Change role, disable/enable, reset password, unlock (forget failed sign-ins)",
          security,
          params: idParams,
          body: z.object({
            role: staffRoleSchema.optional(),
            disabled: z.boolean().optional(),
            password: z.string().max(256).optional(),
            displayName: z.string().trim().max(64).nullable().optional(),
            unlock: z.boolean().optional(),
          }),
          response: { 200: userSchema, ...errorResponses },
        },
      },
      async (request) => {
        const me = staffOf(request);
        const target = await find(request.params.id);
        const body = request.body;
        if (target.id === me.id && (body.disabled === true || (body.role && body.role !== "admin"))) {
          throw errors.conflict("不能停用自己或取消自己的管理员权限。", "self_lockout");
        }
        if (body.password !== undefined) checkPasswordStrength(body.password, target.username);
        const passwordHash = body.password !== undefined ? await hashPassword(body.password) : undefined;
        const now = ctx.clock.now();
        const changes = [
          body.role && `role ${target.role} → ${body.role}`,
          body.disabled !== undefined && (body.disabled ? "disabled" : "enabled"),
          passwordHash && "password reset",
          body.unlock && "unlocked",
        ].filter(Boolean);
        await ctx.store.staff.update(
          target.id,
          { role: body.role, disabled: body.disabled, passwordHash, displayName: body.displayName },
          now,
          {
            // A new password, a disabled account or a changed role: existing sessions end.
            endSessions: Boolean(passwordHash || body.disabled || (body.role && body.role !== target.role)),
            audit: {
              staffUserId: me.id,
              username: me.username,
              action: "staff.update",
              targetType: "staff",
              targetId: target.id,
              detail: `${target.username}: ${changes.join(", ")}`,
            },
          },
        );
        if (body.unlock) await clearLoginThrottle(ctx, target.username);
        return view(await find(target.id));
      },
    );

    app.post(
      "/me/password",
      {
        onRequest: requireSignedIn(ctx),
        schema: {
          tags: ["staff"],
          summary: "Change my own password",
          security,
          body: z.object({ currentPassword: z.string().max(256), password: z.string().max(256) }),
          response: { 200: z.object({ ok: z.literal(true) }), ...errorResponses },
        },
      },
      async (request) => {
        const me = staffOf(request);
        const current = await ctx.store.staff.find(me.id);
        if (!current || !(await argon2.verify(current.passwordHash, request.body.currentPassword).catch(() => false))) {
          throw errors.badRequest("当前密码不对。", "wrong_password");
        }
        checkPasswordStrength(request.body.password, me.username);
        const passwordHash = await hashPassword(request.body.password);
        const now = ctx.clock.now();
        // Every other session of this account ends: a password changed because it leaked must
        // not leave the intruder signed in.
        await ctx.store.staff.update(me.id, { passwordHash, mustChangePassword: false }, now, {
          endSessions: true,
          keepSession: me.sessionId,
          audit: { staffUserId: me.id, username: me.username, action: "staff.password", targetType: "staff", targetId: me.id },
        });
        return { ok: true as const };
      },
    );

    app.get(
      "/audit",
      {
        onRequest: admin,
        schema: {
          tags: ["staff: admin"],
          summary: "The audit log, newest first",
          security,
          querystring: z.object({
            action: z.string().max(64).optional(),
            staffUserId: z.string().max(64).optional(),
            targetId: z.string().max(64).optional(),
            before: z.coerce.number().int().positive().optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: {
            200: z.object({
              items: z.array(auditItemSchema),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => ({ items: await ctx.store.audit.list(request.query) }),
    );
  };
}
