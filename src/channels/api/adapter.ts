import type { Config } from "../../config/config.ts";
import { type ChannelAdapter, DeliveryError, type OutboundMessage } from "../../dialog/channel.ts";

/**
 * The `api` channel: proactive messages are POSTed to API_WEBHOOK_URL with a stable id, so a
 * retry is safe (at-least-once delivery; the receiver de-duplicates on `id`).
 */
export function createApiChannel(config: Config, fetchImpl: typeof fetch = fetch): ChannelAdapter {
  // A send must end well inside the delivery's lease, or another instance could take it over
  // while this one is still waiting for the receiver.
  const timeoutMs = Math.min(10_000, Math.floor(config.DELIVERY_LEASE_MS / 2));
  return {
    id: "api",
    capabilities: { buttons: true, idempotent: true, minGapMs: 0 },
    async send(message: OutboundMessage) {
      if (!config.API_WEBHOOK_URL) throw new DeliveryError("API_WEBHOOK_URL is not set", false);
      let response: Response;
      try {
        response = await fetchImpl(config.API_WEBHOOK_URL, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${config.API_TOKEN ?? ""}` },
          body: JSON.stringify({ id: message.id, userId: message.userId, text: message.text, kind: message.kind }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new DeliveryError(`webhook unreachable: ${(err as Error).message}`, true);
      }
      if (!response.ok) {
        // 4xx other than 408/429 means the receiver rejects this message: retrying will not help.
        const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
        throw new DeliveryError(`webhook answered ${response.status}`, retryable);
      }
    },
  };
}
