// Types of the staff API's answers, inferred from the zod schemas the server validates its
// responses with: a route that changes shape breaks the console's type check, not the console.
import type { z } from "zod";
import type { Reply } from "../../domain/types.ts";
import type { EntryChanges, entryBodySchema } from "../../knowledge/edit.ts";
import type { configurableKinds } from "../../knowledge/schema.ts";
import type { progressSchema, deliveryItemSchema } from "../../outbox/routes.ts";
import type { auditItemSchema, userSchema } from "../routes/admin.ts";
import type { detailSchema, summarySchema } from "../routes/applications.ts";
import type { conversationSchema, queueItemSchema } from "../routes/conversations.ts";
import type { deletionListSchema } from "../routes/deletions.ts";
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
/** GET /deletion-requests */
export type DeletionList = z.infer<typeof deletionListSchema>;
export type DeletionRequest = DeletionList["items"][number];

// ---------------------------------------------------------------- knowledge editor (issue 13)
// From the server's own types where it exports them; the rest mirrors routes/knowledge.ts and
// routes/insights.ts (their schemas are local to the route files).

export type SpecificKind = (typeof configurableKinds)[number];
/** GET /knowledge/:id */
export type KnowledgeEntry = z.infer<typeof entryBodySchema> & { version: number };
/** PATCH /knowledge/:id without baseVersion: only what changed (also a preview's `changes`). */
export type KnowledgeChanges = EntryChanges;
export type PreviewReply = Reply;
/** GET /dashboard */
export type { Dashboard, Chart as DashboardChart } from "../dashboard.ts";

export interface KnowledgeListItem {
  id: string;
  title: string;
  category: string;
  version: number;
  reviewedAt: string;
  reviewDue: boolean;
  emptySpecifics: number;
  specifics: number;
  feedback: { helpful: number; unhelpful: number };
  unanswered: number;
  /** A draft of a new entry: `id` is the draft's id, never answered from. */
  draft: boolean;
}

export interface KnowledgeVersion {
  version: number;
  action: string;
  by: string | null;
  at: number;
  changes: { field: string; before: unknown; after: unknown }[];
}

export interface UnansweredItem {
  id: string;
  sample: string;
  count: number;
  firstAskedAt: number;
  lastAskedAt: number;
  /** Times asked per local day, the last 14 days, today last. */
  trend: number[];
  suggestion?: { entryId: string; title: string };
  handled?: { how: "example" | "draft" | "dismissed"; entryId?: string; by: string | null; at: number };
}

/** A draft of a new entry (GET /knowledge/drafts/:draftId); `content` holds its fields as written so far. */
export interface KnowledgeDraft {
  id: string;
  entryId: string | null;
  title: string;
  content: Record<string, unknown>;
  fromQuestionId: string | null;
  createdBy: string | null;
  createdAt: number;
  updatedAt: number;
}
