import { randomUUID } from "node:crypto";
import { createStaffUser, type StaffRole } from "../../src/staff/auth.ts";
import type { TestApp } from "./app.ts";

export const STAFF_PASSWORD = "correct-horse-42";

/** Creates a staff account with `role` and signs it in through the real login route; returns the bearer token. */
export async function staffToken(t: TestApp, role: StaffRole, username = `${role}-${randomUUID().slice(0, 8)}`): Promise<string> {
  await createStaffUser(t.ctx, { username, password: STAFF_PASSWORD, role });
  const res = await t.app.inject({
    method: "POST",
    url: "/api/v1/staff/login",
    payload: { username, password: STAFF_PASSWORD },
  });
  if (res.statusCode !== 200) throw new Error(`staff login failed: HTTP ${res.statusCode}: ${res.body}`);
  return (res.json() as { token: string }).token;
}

/** Headers for a staff API call with a bearer token. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
