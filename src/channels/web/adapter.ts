import type { Store } from "../../data/store.ts";
import type { ChannelAdapter, OutboundMessage } from "../../dialog/channel.ts";

/** The notification channel web-chat pages are woken through (every instance listens). */
export const WEB_WAKE = "web_wake";

/**
 * The embedded web chat. Proactive messages are already in the resident's transcript (the
 * outbox writes them there); sending only wakes the resident's open page, on whichever instance
 * serves it (a database notification), and the page also polls, so nothing is lost when the
 * page is closed.
 */
export class WebChannel implements ChannelAdapter {
  readonly id = "web" as const;
  readonly capabilities = { buttons: true, idempotent: true, minGapMs: 0 };

  constructor(private readonly store: Store) {}

  async send(message: OutboundMessage): Promise<void> {
    await this.store.publish(WEB_WAKE, message.userId);
  }
}
