import { EventEmitter } from "node:events";
import type { ChannelAdapter, OutboundMessage } from "../../dialog/channel.ts";

/**
 * The embedded web chat. Proactive messages are already in the resident's transcript (the
 * outbox writes them there); sending only wakes the resident's open page, which also polls,
 * so a message is never lost when the page is closed or served by another instance.
 */
export class WebChannel implements ChannelAdapter {
  readonly id = "web" as const;
  readonly capabilities = { buttons: true, idempotent: true, minGapMs: 0 };
  readonly wake = new EventEmitter();

  constructor() {
    this.wake.setMaxListeners(0);
  }

  async send(message: OutboundMessage): Promise<void> {
    this.wake.emit(message.userId);
  }
}
