/** A resident's conversation changed under a turn (another instance, or a staff action): run the turn again. */
export class StaleConversationError extends Error {
  constructor() {
    super("conversation changed concurrently");
  }
}

/** The same channel message id was stored meanwhile: the turn runs again and finds its result. */
export class DuplicateMessageError extends Error {
  constructor() {
    super("message already processed");
  }
}

/** A write's precondition no longer holds (the row changed since it was read): nothing was written. */
export class ConflictError extends Error {
  constructor(readonly what: string) {
    super(`${what} changed concurrently`);
  }
}

/**
 * The database cannot be reached right now (connection refused or lost, the server shutting
 * down, the pool exhausted, SQLite busy past its timeout): the request may succeed later.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === "string" ? e.code : "";
  if (["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "SQLITE_BUSY", "SQLITE_LOCKED"].includes(code)) return true;
  // PostgreSQL: class 08 connection exceptions, 57P0x shutdown / cannot connect now, 53300 too many connections.
  if (/^08|^57P0|^53300$/.test(code)) return true;
  const message = typeof e?.message === "string" ? e.message : "";
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message);
}

/**
 * A conflict the database resolved by aborting one side (PostgreSQL: deadlock, serialization
 * failure; SQLite: busy past its timeout): running the same work again is safe and usually succeeds.
 */
export function isTransientConflict(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === "40P01" || code === "40001" || code === "SQLITE_BUSY" || code === "SQLITE_BUSY_SNAPSHOT";
}
