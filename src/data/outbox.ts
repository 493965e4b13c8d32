import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import type { ChannelId, ProactiveKind } from "../dialog/types.ts";

export interface DeliveryInput {
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
  /** Also append the message to the resident's transcript (default true). */
  transcript?: boolean;
}

/**
 * Records a proactive message in the outbox (and the resident's transcript) — call it inside
 * the same transaction as the decision to send. Returns the delivery id, or null when a
 * delivery with that dedupe key already exists (the decision was already taken).
 */
export function enqueueDelivery(sql: Database.Database, input: DeliveryInput, now: number): string | null {
  const id = randomUUID();
  const inserted = sql
    .prepare(
      `INSERT INTO "Delivery" (id, dedupeKey, residentId, channel, kind, text, status, attempts, notBefore, broadcastId, createdAt, updatedAt)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?) ON CONFLICT(dedupeKey) DO NOTHING`,
    )
    .run(id, input.dedupeKey, input.residentId, input.channel, input.kind, input.text, input.notBefore ?? now, input.broadcastId ?? null, now, now);
  if (inserted.changes === 0) return null;
  if (input.transcript !== false) {
    sql
      .prepare(
        `INSERT INTO "Message" (conversationId, residentId, direction, author, text, intent, staffUserId, createdAt)
         SELECT c.id, c.residentId, 'out', ?, ?, ?, ?, ? FROM "Conversation" c WHERE c.residentId = ?`,
      )
      .run(input.author ?? "bot", input.text, input.kind, input.staffUserId ?? null, now, input.residentId);
  }
  return id;
}
