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
