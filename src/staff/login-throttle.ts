import type { AppContext } from "../context.ts";
import { AppError } from "../http/errors.ts";

/**
 * Failed sign-ins slow further attempts, counted in the database (every instance sees the same
 * counts) under two keys: the username with the address it came from, and the address alone
 * (password spraying: many usernames from one address). Each key has some free failures, then
 * every further failure makes the next attempt wait twice as long, from 1 s up to 15 minutes;
 * the count is forgotten after an hour without failures, and a successful sign-in clears its
 * username-and-address key. Keys are built from the username as typed, whether or not the
 * account exists, so a throttled answer says nothing about which usernames exist.
 *
 * What this does not do: lock an account for everyone. Guesses at one username from another
 * address never delay its owner; the cost is that guesses spread over many addresses are slowed
 * only per address (the password policy is the defence there).
 */
export const LOGIN_THROTTLE = {
  /** Failures allowed per username and address before attempts are slowed. */
  freePerAccount: 5,
  /** Failures allowed per address (all usernames) before attempts are slowed: offices share an address. */
  freePerAddress: 20,
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60 * 1000,
  /** A key's failures are forgotten after this long without another. */
  forgetMs: 60 * 60 * 1000,
} as const;

// The username is encoded: whatever is typed, the key reads back unambiguously (and holds no NUL, which PostgreSQL refuses).
const accountPrefix = (username: string) => `login:account:${encodeURIComponent(username.trim().toLowerCase())}|`;
const accountKey = (username: string, address: string) => `${accountPrefix(username)}${address}`;
const addressKey = (address: string) => `login:address:${address}`;

/** How long after the last failure the next attempt must wait, for `failures` so far. */
export function throttleDelayMs(failures: number, free: number): number {
  if (failures <= free) return 0;
  const doublings = Math.min(failures - free - 1, 30);
  return Math.min(LOGIN_THROTTLE.maxDelayMs, LOGIN_THROTTLE.baseDelayMs * 2 ** doublings);
}

/** The same answer for every throttled attempt, whoever the username belongs to. */
function throttled(waitMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const wait = seconds >= 120 ? `${Math.ceil(seconds / 60)} 分钟` : `${seconds} 秒`;
  const err = new AppError(429, "login_throttled", `登录失败次数太多，请 ${wait}后再试。`);
  err.retryAfterSeconds = seconds;
  return err;
}

/** Throws 429 when this username-and-address or this address must still wait. */
export async function checkLoginThrottle(ctx: AppContext, username: string, address: string): Promise<void> {
  const now = ctx.clock.now();
  const keys = [accountKey(username, address), addressKey(address)];
  const counters = await ctx.store.limits.read(keys, now);
  const free = [LOGIN_THROTTLE.freePerAccount, LOGIN_THROTTLE.freePerAddress];
  let until = 0;
  keys.forEach((key, i) => {
    const c = counters.get(key);
    if (c) until = Math.max(until, c.updatedAt + throttleDelayMs(c.count, free[i] as number));
  });
  if (until > now) throw throttled(until - now);
}

/**
 * Counts a failed sign-in. When a key starts being slowed, the audit log says so (admins see it
 * under 操作日志): for an existing account, on that account; for an address, with no account.
 */
export async function recordLoginFailure(
  ctx: AppContext,
  username: string,
  address: string,
  account: { id: string; username: string } | null,
): Promise<void> {
  const now = ctx.clock.now();
  const { limits, audit } = ctx.store;
  const [forAccount, forAddress] = await Promise.all([
    limits.hit(accountKey(username, address), now, LOGIN_THROTTLE.forgetMs, "extend"),
    limits.hit(addressKey(address), now, LOGIN_THROTTLE.forgetMs, "extend"),
  ]);
  if (forAccount.count === LOGIN_THROTTLE.freePerAccount + 1 && account) {
    await audit.record(
      {
        staffUserId: account.id,
        username: account.username,
        action: "staff.login_throttled",
        targetType: "staff",
        targetId: account.id,
        detail: `${forAccount.count} failed sign-ins from ${address}: further attempts from there are slowed`,
      },
      now,
    );
  }
  if (forAddress.count === LOGIN_THROTTLE.freePerAddress + 1) {
    await audit.record(
      {
        staffUserId: null,
        username: null,
        action: "staff.login_throttled",
        targetType: "address",
        targetId: address,
        detail: `${forAddress.count} failed sign-ins from ${address} (any username): further attempts from there are slowed`,
      },
      now,
    );
  }
}

/** A successful sign-in forgets this username-and-address's failures (not the address's). */
export async function recordLoginSuccess(ctx: AppContext, username: string, address: string): Promise<void> {
  await ctx.store.limits.clear([accountKey(username, address)]);
}

/** Whether sign-ins to `username` are being slowed from some address now (the admin's account list). */
export async function isLoginThrottled(ctx: AppContext, username: string): Promise<boolean> {
  const now = ctx.clock.now();
  const counters = await ctx.store.limits.readPrefix(accountPrefix(username), now);
  return counters.some((c) => c.updatedAt + throttleDelayMs(c.count, LOGIN_THROTTLE.freePerAccount) > now);
}

/** An admin's "unlock": forgets the account's failures, and those of the addresses they came from. */
export async function clearLoginThrottle(ctx: AppContext, username: string): Promise<void> {
  const prefix = accountPrefix(username);
  const counters = await ctx.store.limits.readPrefix(prefix, 0);
  await ctx.store.limits.clear(counters.map((c) => addressKey(c.key.slice(prefix.length))));
  await ctx.store.limits.clearPrefix(prefix);
}
