import type { ChannelId, ProactiveKind } from "./types.ts";

/** Delivery statuses: pending → sending → sent | failed | unknown (or pending again for a retry); pending → cancelled. */
export const deliveryStatuses = ["pending", "sending", "sent", "failed", "unknown", "cancelled"] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** A proactive message to record in the outbox (see src/data/outbox.ts). */
export interface DeliveryInput {
  /** The delivery id (also the webhook's de-duplication id); generated when absent. */
  id?: string;
  residentId: string;
  channel: ChannelId;
  kind: ProactiveKind;
  text: string;
  /** Unique per logical message (reminder:<permit>:<cycle>:<stage>, broadcast:<id>:<resident>, staff:<msg>…). */
  dedupeKey: string;
  /** Not before this time (epoch ms); quiet hours may push it later at dispatch. */
  notBefore?: number;
  broadcastId?: string;
  /** Who the transcript shows as the author. */
  author?: "bot" | "staff";
  staffUserId?: string;
  /**
   * Also append the message to the resident's transcript now (default true). Reminders and
   * broadcasts ignore this: they enter the transcript when actually sent, so a message held by
   * quiet hours or a cancelled broadcast never shows up in the web chat early.
   */
  transcript?: boolean;
}

/** Kinds whose transcript entry is written when the message is sent rather than when it is queued. */
export const TRANSCRIPT_AT_SEND: ReadonlySet<ProactiveKind> = new Set(["reminder", "broadcast"]);

/**
 * Urgent deliveries answer something a resident or staff member is waiting for; bulk ones
 * (reminders, broadcasts) may wait. Each class has its own lane per channel, so a staff reply
 * is never stuck behind a broadcast batch.
 */
export type DeliveryClass = "urgent" | "bulk";
export const urgentKinds: readonly ProactiveKind[] = ["staff", "notice"];
export const bulkKinds: readonly ProactiveKind[] = ["reminder", "broadcast"];
