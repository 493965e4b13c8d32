// @ts-check
// The staff API with the console's session: an httpOnly cookie the script cannot read, and the
// CSRF token it must echo on every change (x-csrf-token).
import { toast } from "./dom.js";

export const API = "/api/v1/staff";

/** @typedef {import("../types.d.ts").Principal} Principal */
/** @typedef {import("../types.d.ts").StaffRole} StaffRole */

/** Who is signed in. */
export const session = {
  /** @type {Principal | null} */
  user: null,
  /** @type {string | null} */
  csrf: null,
  /** Called when the server answers 401 (the session has ended): back to the sign-in form. */
  onExpired: () => {},
};

/**
 * Whether the signed-in user has one of these roles (admins have every role).
 * @param {StaffRole[]} roles
 */
export function can(...roles) {
  const user = session.user;
  return Boolean(user && (user.role === "admin" || roles.includes(user.role)));
}

/** The signed-in user (screens only run while someone is signed in). */
export function me() {
  if (!session.user) throw new ApiError(401, "unauthorized", "请先登录。");
  return session.user;
}

/** An error answer of the staff API: `{ error: { code, message } }`. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Calls the staff API; a 401 ends the session in the console too.
 * @param {"GET" | "POST" | "PATCH" | "PUT" | "DELETE"} method
 * @param {string} path under /api/v1/staff
 * @param {unknown} [body]
 * @returns {Promise<unknown>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && session.csrf) headers["x-csrf-token"] = session.csrf;
  let res;
  try {
    res = await fetch(API + path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "网络连接失败，请检查网络后重试。");
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const error = data && typeof data === "object" && "error" in data ? data.error : null;
    const err = new ApiError(res.status, error?.code || "error", error?.message || `请求失败（${res.status}）`);
    if (res.status === 401 && path !== "/session" && path !== "/me") {
      session.user = null;
      session.csrf = null;
      session.onExpired();
    }
    throw err;
  }
  return data;
}

/**
 * Runs an action from a button: disables it meanwhile and reports errors in a toast.
 * Returns whether it went through.
 * @param {HTMLButtonElement | null} button
 * @param {() => Promise<unknown>} fn
 */
export async function act(button, fn) {
  if (button) button.disabled = true;
  try {
    await fn();
    return true;
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) toast(err instanceof Error ? err.message : "操作失败", true);
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}
