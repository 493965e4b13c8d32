// Types of the staff API's answers, inferred from the zod schemas the server validates its
// responses with: a route that changes shape breaks the console's type check, not the console.
import type { z } from "zod";
import type { progressSchema, deliveryItemSchema } from "../../outbox/routes.ts";
import type { auditItemSchema, userSchema } from "../routes/admin.ts";
import type { detailSchema, summarySchema } from "../routes/applications.ts";
import type { conversationSchema, queueItemSchema } from "../routes/conversations.ts";
import type { statsSchema } from "../routes/insights.ts";
import type { staffMetaSchema } from "../routes/meta.ts";
import type { principalSchema } from "../routes/schemas.ts";

export type StaffMeta = z.infer<typeof staffMetaSchema>;
export type Principal = z.infer<typeof principalSchema>;
export type StaffRole = Principal["role"];
export type QueueItem = z.infer<typeof queueItemSchema>;
export type ConversationDetail = z.infer<typeof conversationSchema>;
export type ApplicationSummary = z.infer<typeof summarySchema>;
export type ApplicationDetail = z.infer<typeof detailSchema>;
export type StaffUser = z.infer<typeof userSchema>;
export type AuditItem = z.infer<typeof auditItemSchema>;
export type Stats = z.infer<typeof statsSchema>;
export type BroadcastProgress = z.infer<typeof progressSchema>;
export type DeliveryItem = z.infer<typeof deliveryItemSchema>;
