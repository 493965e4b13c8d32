import type { ChannelId, ProactiveKind } from "../domain/types.ts";

/** A proactive message (reminder, staff reply, decision, broadcast) for one resident. */
export interface OutboundMessage {
  /** Stable across retries: the receiver can de-duplicate on it. */
  id: string;
  channel: ChannelId;
  userId: string;
  text: string;
  kind: ProactiveKind;
}

/** Whether a failed send may be retried without risking a double delivery. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "DeliveryError";
  }
}

/**
 * What the core needs from a messaging channel. Inbound messages reach the core through
 * `Engine.handle`; outbound proactive messages go through `send`.
 */
export interface ChannelAdapter {
  readonly id: ChannelId;
  readonly capabilities: {
    /** Renders `choices` as buttons (else as a numbered list in the text). */
    buttons: boolean;
    /** True when a repeated send can be de-duplicated by the receiver (safe to retry). */
    idempotent: boolean;
    /** Minimum pause between proactive sends, to respect the platform's limits. */
    minGapMs: number;
  };
  start?(): Promise<void>;
  stop?(): Promise<void>;
  /**
   * False while the channel cannot send at all (WeChat logged out): the outbox then claims
   * nothing for it, so waiting uses up no attempts, and sending resumes as soon as it is true.
   */
  ready?(): boolean;
  /** Delivers one proactive message; throws DeliveryError when it could not. */
  send(message: OutboundMessage): Promise<void>;
}

/** Renders choices as a numbered list for channels without buttons. */
export function numberedChoices(text: string, choices: readonly string[] | undefined): string {
  if (!choices?.length) return text;
  return `${text}\n\n${choices.map((c, i) => `${i + 1}. ${c}`).join("\n")}\n（回复数字即可选择）`;
}
