import { z } from "zod";

export const channelIds = ["web", "api", "wechat"] as const;
export type ChannelId = (typeof channelIds)[number];

export const awaitingTypes = [
  "consent",
  "text",
  "name",
  "id_number",
  "phone",
  "date",
  "district",
  "address",
  "choice",
  "confirm",
] as const;
export type AwaitingType = (typeof awaitingTypes)[number];

export type MessageKind = "text" | "image" | "voice" | "video" | "file" | "location" | "link" | "sticker" | "other";

export interface InboundMessage {
  channel: ChannelId;
  userId: string;
  text: string;
  messageId?: string | undefined;
  kind?: MessageKind;
  displayName?: string | undefined;
  /** A group chat: the assistant never asks for personal data there. */
  inGroup?: boolean;
}

export const sourceSchema = z.object({ id: z.string(), title: z.string() });
export type Source = z.infer<typeof sourceSchema>;

export const replySchema = z.object({
  text: z.string(),
  intent: z.string(),
  sources: z.array(sourceSchema).optional(),
  choices: z.array(z.string()).optional(),
});
export type Reply = z.infer<typeof replySchema>;

export const awaitingSchema = z.object({
  slot: z.string(),
  type: z.enum(awaitingTypes),
  choices: z.array(z.string()).optional(),
});
export type Awaiting = z.infer<typeof awaitingSchema>;

export const turnResultSchema = z.object({
  conversationId: z.string(),
  replies: z.array(replySchema),
  awaiting: awaitingSchema.optional(),
  handoff: z.boolean(),
});
export type TurnResult = z.infer<typeof turnResultSchema> & {
  /** Internal: ids of the stored messages, the inbound one first, then the replies (not in the API response). */
  messageIds?: number[];
  rateLimited?: boolean;
  /** Internal: the stored result of a message already processed (nothing new was sent). */
  duplicate?: boolean;
};

export const conversationStatuses = ["bot", "escalated", "staff", "closed"] as const;
export type ConversationStatus = (typeof conversationStatuses)[number];

export type ProactiveKind = "reminder" | "staff" | "notice" | "broadcast";
