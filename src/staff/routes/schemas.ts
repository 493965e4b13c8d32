import { staffRoles } from "../auth.ts";
import { z } from "zod";

/** Shared zod pieces of the staff API. */
export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export const errorResponses = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  409: errorSchema,
} as const;

export const staffRoleSchema = z.enum(staffRoles);

export const principalSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: staffRoleSchema,
  mustChangePassword: z.boolean().optional(),
});

export const idParams = z.object({ id: z.string().min(1).max(64) });

export const okSchema = z.object({ ok: z.literal(true) });

export const security = [{ bearer: [] }];
