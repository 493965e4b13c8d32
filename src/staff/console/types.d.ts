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

/** Until the backend half of issue 13 is merged, /meta's knowledge lists are declared here too. */
interface KnowledgeMeta {
  configurableKinds: { code: string; label: string }[];
  partKeys: { code: string; label: string }[];
  unansweredHandlings: { code: string; label: string }[];
  knowledgeReviewDays: number;
}
export type StaffMeta = z.infer<typeof staffMetaSchema> & KnowledgeMeta;
export type Principal = z.infer<typeof principalSchema>;
/** The knowledge editor role ("editor") comes with issue 13's backend. */
export type StaffRole = Principal["role"] | "editor";
export type QueueItem = z.infer<typeof queueItemSchema>;
export type ConversationDetail = z.infer<typeof conversationSchema>;
export type ApplicationSummary = z.infer<typeof summarySchema>;
export type ApplicationDetail = z.infer<typeof detailSchema>;
export type StaffUser = z.infer<typeof userSchema>;
export type AuditItem = z.infer<typeof auditItemSchema>;
export type Stats = z.infer<typeof statsSchema>;
export type BroadcastProgress = z.infer<typeof progressSchema>;
export type DeliveryItem = z.infer<typeof deliveryItemSchema>;

// ---------------------------------------------------------------- knowledge editor (issue 13)

export type SpecificKind = "phone" | "url" | "address" | "hours" | "text";

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
  draft: boolean;
}

export interface KnowledgePart {
  text: string;
  national: string[];
  uses: string[];
}

export interface KnowledgeEntry {
  id: string;
  version: number;
  title: string;
  category: string;
  summary: string;
  nextStep: string;
  national: string[];
  parts: Record<string, KnowledgePart>;
  related: string[];
  keywords: string[];
  examples: string[];
  configurable: Record<string, { label: string; kind: SpecificKind; value: string | null }>;
  sensitive?: string;
  reviewedAt: string;
  body: string;
  seedItems: number[];
}

/** PATCH /knowledge/:id without baseVersion: only what changed. */
export interface KnowledgeChanges {
  configurable?: Record<string, string | null>;
  addExamples?: string[];
  removeExamples?: string[];
  title?: string;
  summary?: string;
  nextStep?: string;
  parts?: Record<string, { text: string } | null>;
  keywords?: string[];
  related?: string[];
  body?: string;
}

export interface KnowledgeVersion {
  version: number;
  by: string | null;
  at: number | string;
  changes: { field: string; before: unknown; after: unknown }[];
}

export interface PreviewReply {
  text: string;
  intent: string;
  sources: { id: string; title: string }[];
  choices: string[];
}

export interface UnansweredItem {
  id: string;
  sample: string;
  count: number;
  firstAskedAt: number;
  lastAskedAt: number;
  trend: number[];
  suggestion?: { entryId: string; title: string } | null;
  handled?: { how: "example" | "draft" | "dismissed"; entryId?: string | null; by: string | null; at: number } | null;
}

/**
 * GET /dashboard?days=n. Each chart is one of: series per day (`series`, one value per entry of
 * `days`), a ranking (`items` or an array of `{ label|title|sample, n }`), or counts by group
 * (arrays of `{ label, n }` under named keys, e.g. byStatus, byType). The backend names each chart
 * and labels it; the console draws what it is given.
 */
export interface Dashboard {
  from: string;
  to: string;
  days: string[];
  charts: Record<string, DashboardChart | DashboardCount[]>;
}

export interface DashboardCount {
  n: number;
  label?: string;
  title?: string;
  sample?: string;
  [key: string]: unknown;
}

export interface DashboardChart {
  name?: string;
  label?: string;
  /** "percent" for shares (values 0..1), "minutes"… */
  unit?: string;
  series?: { name: string; label?: string; unit?: string; values: (number | null)[] }[];
  items?: DashboardCount[];
  [key: string]: unknown;
}
