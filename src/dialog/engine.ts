import { EventEmitter } from "node:events";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { DuplicateMessageError, StaleConversationError } from "../data/errors.ts";
import type { TurnSnapshot, TurnStore } from "../data/turn-store.ts";
import { AppError } from "../http/errors.ts";
import type { Clock } from "../lib/clock.ts";
import { KeyedQueue } from "../lib/keyed-queue.ts";
import { cleanText, redactPersonalData } from "../lib/text.ts";
import type { Dialog, DialogOutcome, DialogTurn } from "./dialog.ts";
import { withChoices } from "./dialog.ts";
import { parseState, rememberWritten, serializeState } from "./state.ts";
import type { InboundMessage, TurnResult } from "../domain/types.ts";
import { replies as say } from "./wording.ts";

export interface EngineOptions {
  store: TurnStore;
  dialog: Dialog;
  clock: Clock;
  log: Logger;
  rateLimitPerMinute: number;
  /** Told after every message with how it ended and how long it took (metrics). */
  onTurn?: (channel: string, result: "answered" | "duplicate" | "rate_limited" | "error", ms: number) => void;
}

/** Emitted after every committed turn, for live views (web chat, staff queue). */
export interface TurnEvent {
  channel: string;
  userId: string;
  conversationId: string;
  messageIds: number[];
  status: string;
}

const RATE_WINDOW_MS = 60_000;
/**
 * A turn that lost a race (another instance answered the same resident first, or a duplicate
 * raced in) runs again on fresh state, after a short random pause so two instances do not
 * collide again in step. Contention is per resident, so a few tries settle it; the cap only
 * bounds a pathological case, which answers 503 "try again" rather than a 500.
 */
const MAX_ATTEMPTS = 30;
const BACKOFF_BASE_MS = 5;
const BACKOFF_MAX_MS = 250;

/**
 * The conversation core: one entry point turns an inbound message from any channel into
 * replies. Per resident, messages run strictly in arrival order within an instance (a keyed
 * queue) and one at a time across instances (the conversation's version: a turn that read an
 * older state is run again); each turn's inbound message, new state, replies and side effects
 * are committed atomically (group commit, see TurnStore) before anyone sees a reply.
 */
export class Engine {
  readonly events = new EventEmitter();
  private readonly lanes = new KeyedQueue();

  constructor(private readonly opts: EngineOptions) {
    this.events.setMaxListeners(0);
  }

  handle(message: InboundMessage): Promise<TurnResult> {
    const started = performance.now();
    const done = this.lanes.run(`${message.channel}\u0000${message.userId}`, () => this.process(message, 0));
    const onTurn = this.opts.onTurn;
    if (onTurn) {
      done.then(
        (r) =>
          onTurn(
            message.channel,
            r.duplicate ? "duplicate" : r.rateLimited ? "rate_limited" : "answered",
            performance.now() - started,
          ),
        () => onTurn(message.channel, "error", performance.now() - started),
      );
    }
    return done;
  }

  private async process(message: InboundMessage, attempt: number): Promise<TurnResult> {
    const { store, clock } = this.opts;
    const now = clock.now();
    const snapshot = await store.snapshot(message.channel, message.userId, now, message.displayName, message.messageId);
    if (snapshot.duplicate) return { ...snapshot.duplicate, duplicate: true };
    const text = cleanText(message.text ?? "");
    const rate = nextRate(snapshot, now);
    const limited = rate.count > this.opts.rateLimitPerMinute;

    const outcome: DialogOutcome = limited
      ? { intent: "rate_limited", replies: [say.slowDown()], state: parseState(snapshot.state, snapshot) }
      : await this.opts.dialog.respond(toTurn(message, snapshot, text, now));

    const state = limited ? outcome.state : withChoices(outcome.state, outcome.replies);
    const status = outcome.status ?? snapshot.status;
    const result: TurnResult = {
      conversationId: snapshot.conversationId,
      replies: outcome.replies,
      ...(outcome.awaiting ? { awaiting: outcome.awaiting } : {}),
      handoff: status === "escalated" || status === "staff",
    };
    try {
      const messageIds = await store.commit({
        snapshot,
        channel: message.channel,
        userId: message.userId,
        now,
        // A rate-limited message is kept for the transcript but not marked processed, so a retry runs.
        // ID and phone numbers are masked in the transcript; flows keep what they need encrypted.
        inbound: {
          text: redactPersonalData(text || message.text || ""),
          intent: outcome.intent,
          channelMessageId: limited ? undefined : message.messageId,
        },
        replies: outcome.replies,
        result,
        state: serializeState(state),
        status,
        rate,
        resident: outcome.resident,
        conversation: outcome.conversation,
        effects: outcome.effects,
      });
      // The row's version is now one more than the snapshot's (the update checked it).
      rememberWritten(snapshot.conversationId, snapshot.version + 1);
      this.events.emit("turn", {
        channel: message.channel,
        userId: message.userId,
        conversationId: snapshot.conversationId,
        messageIds,
        status,
      } satisfies TurnEvent);
      return { ...result, messageIds, ...(limited ? { rateLimited: true } : {}) };
    } catch (err) {
      // Another instance (or a duplicate racing in) changed the conversation: run the turn again
      // on fresh state; a duplicate then finds the stored result.
      if (err instanceof StaleConversationError || err instanceof DuplicateMessageError) {
        if (attempt + 1 >= MAX_ATTEMPTS) {
          this.opts.log.error({ attempts: attempt + 1 }, "turn kept losing races; answering busy");
          throw new AppError(503, "busy", "系统有点忙，请稍后再发一次。", "conversation contended too long");
        }
        const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
        await sleep(Math.random() * cap);
        return this.process(message, attempt + 1);
      }
      throw err;
    }
  }
}

function nextRate(s: TurnSnapshot, now: number): { windowStart: number; count: number } {
  return now - s.rateWindowStart >= RATE_WINDOW_MS
    ? { windowStart: now, count: 1 }
    : { windowStart: s.rateWindowStart, count: s.rateCount + 1 };
}

function toTurn(message: InboundMessage, s: TurnSnapshot, text: string, now: number): DialogTurn {
  return {
    now,
    channel: message.channel,
    userId: message.userId,
    residentId: s.residentId,
    conversationId: s.conversationId,
    text,
    kind: message.kind ?? "text",
    inGroup: message.inGroup ?? false,
    status: s.status,
    state: parseState(s.state, s),
    resident: {
      consentAt: s.consentAt,
      acceptsNotices: s.acceptsNotices,
      remindersOptOut: s.remindersOptOut,
      district: s.district,
    },
    escalatedAt: s.escalatedAt,
    lastHoldingAt: s.lastHoldingAt,
  };
}
