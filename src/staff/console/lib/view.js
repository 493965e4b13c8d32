// @ts-check
// One screen being shown. Leaving it (another hash, sign-out) stops its polling, runs its
// clean-ups (charts) and marks it gone, so a late answer never paints over the next screen.
// A screen with work not yet saved (the knowledge editor) asks before it is left: main.js checks
// `mayLeave()` on every hash change and sign-out, and `unsavedWork()` when the tab is closed.

/**
 * A screen: draws itself into the main area for `view`; `arg` is the hash's second segment
 * (#/conversation/<arg>), `params` its query (#/applications?status=pending).
 * @typedef {(view: View, arg: string | undefined, params: URLSearchParams) => Promise<void>} Screen
 */

/** @type {View | null} */
let current = null;

export class View {
  constructor() {
    /** @type {ReturnType<typeof setInterval>[]} */
    this.timers = [];
    /** @type {(() => void)[]} */
    this.cleanups = [];
    /** @type {(() => string | null)[]} */
    this.guards = [];
    this.gone = false;
  }

  /**
   * Asks before this screen is left while `fn` returns a question (work that would be lost),
   * and not when it returns null (nothing changed, or it was saved).
   * @param {() => string | null} fn
   */
  guard(fn) {
    this.guards.push(fn);
  }

  /** What to ask before leaving, or null when nothing would be lost. */
  unsaved() {
    if (this.gone) return null;
    for (const fn of this.guards) {
      const question = fn();
      if (question) return question;
    }
    return null;
  }

  /** Whether the user has moved on to another screen meanwhile. */
  stale() {
    return this.gone;
  }

  /**
   * Polls while this screen is shown and the tab visible; errors are ignored (the next poll retries).
   * @param {number} ms
   * @param {() => Promise<unknown>} fn
   */
  every(ms, fn) {
    if (this.gone) return;
    this.timers.push(
      setInterval(() => {
        if (!document.hidden && !this.gone) fn().catch(() => {});
      }, ms),
    );
  }

  /** @param {() => void} fn runs when the screen is left */
  onLeave(fn) {
    this.cleanups.push(fn);
  }

  leave() {
    this.gone = true;
    for (const id of this.timers) clearInterval(id);
    for (const fn of this.cleanups) {
      try {
        fn();
      } catch {
        // a clean-up that fails must not keep the next screen from showing
      }
    }
    this.timers = [];
    this.cleanups = [];
    this.guards = [];
  }
}

/** Leaves the current screen and starts a new one. */
export function nextView() {
  current?.leave();
  current = new View();
  return current;
}

/** What the screen shown now would lose if left (for `beforeunload`), or null. */
export function unsavedWork() {
  return current?.unsaved() ?? null;
}

/** Whether the screen shown now may be left: nothing would be lost, or the user says so. */
export function mayLeave() {
  const question = unsavedWork();
  return !question || confirm(question);
}

/** Shows a screen: a hash change renders it; the same hash renders it again. */
export function go(/** @type {string} */ hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}
