import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { conversationStatuses } from "../../domain/types.ts";
import { districts, divisionsSource } from "../../flows/divisions.ts";
import { applicationStatuses, decisions } from "../applications.ts";
import { requireSignedIn, staffRoles } from "../auth.ts";
import {
  applicationStatusLabels,
  auditActionLabels,
  authorLabels,
  broadcastStatusLabels,
  channelLabels,
  configurableKindLabels,
  conversationStatusLabels,
  decisionLabels,
  partKeyLabels,
  roleLabels,
  unansweredHandlingLabels,
} from "../labels.ts";
import { configurableKinds, partKeys } from "../../knowledge/index.ts";
import { errorResponses, security } from "./schemas.ts";

const labelled = z.object({ code: z.string(), label: z.string() });
const field = z.object({ key: z.string(), label: z.string() });

/**
 * Everything the staff console shows by name, so no screen keeps its own copy: application
 * types with their field labels (from the flow files in intents/), statuses, decisions, roles,
 * channels, districts with their streets and townships. Typed here for the console's rewrite.
 */
export const staffMetaSchema = z.object({
  applicationTypes: z.array(
    z.object({
      /** The application type (= the flow's id), as `type` in /applications. */
      type: z.string(),
      /** How staff call it. */
      label: z.string(),
      /** How residents call the flow. */
      title: z.string(),
      description: z.string(),
      /** Labels for the keys of the application's `data`, in the order of the flow's steps. */
      fields: z.array(field),
      /** What the resident is told at each decision ({title}, {reference}, {reason} filled in). */
      notices: z.object({ approved: z.string(), rejected: z.string(), info_requested: z.string() }),
    }),
  ),
  /** Fields every application has outside `data` (the detail view). */
  applicationFields: z.array(field),
  applicationStatuses: z.array(labelled),
  decisions: z.array(labelled.extend({ reasonRequired: z.boolean() })),
  conversationStatuses: z.array(labelled),
  channels: z.array(labelled),
  roles: z.array(labelled),
  /** Who wrote a transcript message. */
  authors: z.array(labelled),
  broadcastStatuses: z.array(labelled),
  auditActions: z.array(labelled),
  /** Ningbo's ten districts, in the order residents are offered them, with their streets and townships. */
  districts: z.array(
    z.object({ code: z.string(), name: z.string(), towns: z.array(z.object({ code: z.string(), name: z.string() })) }),
  ),
  /** Where the district list comes from. */
  districtsSource: z.string(),
  /** The kinds of a catalogue entry's staff-maintained specifics (each validated on publish). */
  configurableKinds: z.array(labelled),
  /** The parts of a catalogue entry, in the order answers give them. */
  partKeys: z.array(labelled),
  /** How an unanswered question was handled. */
  unansweredHandlings: z.array(labelled),
  /** Entries not reviewed for this many days are due for review (KNOWLEDGE_REVIEW_DAYS). */
  knowledgeReviewDays: z.number(),
  /** The service's time zone (TZ): the console shows every time in it, as residents are told them. */
  timeZone: z.string(),
});
export type StaffMeta = z.infer<typeof staffMetaSchema>;

const list = (codes: readonly string[], labels: Record<string, string>) =>
  codes.map((code) => ({ code, label: labels[code] ?? code }));

/** Builds the metadata from the loaded flows and the label tables. */
export function staffMeta(ctx: AppContext): StaffMeta {
  return {
    applicationTypes: [...ctx.flows.values()].map((f) => ({
      type: f.id,
      label: f.staff.label,
      title: f.title,
      description: f.description,
      fields: Object.entries(f.fieldLabels).map(([key, label]) => ({ key, label })),
      notices: f.decisions,
    })),
    applicationFields: [
      { key: "reference", label: "申请编号" },
      { key: "name", label: "姓名" },
      { key: "idNumberMasked", label: "身份证号" },
      { key: "phoneMasked", label: "电话" },
      { key: "district", label: "区县" },
      { key: "channel", label: "渠道" },
      { key: "createdAt", label: "提交时间" },
      { key: "decisionReason", label: "审核意见" },
    ],
    applicationStatuses: list(applicationStatuses, applicationStatusLabels),
    decisions: decisions.map((code) => ({ code, label: decisionLabels[code] ?? code, reasonRequired: code !== "approve" })),
    conversationStatuses: list(conversationStatuses, conversationStatusLabels),
    channels: list(Object.keys(channelLabels), channelLabels),
    roles: list(staffRoles, roleLabels),
    authors: list(Object.keys(authorLabels), authorLabels),
    broadcastStatuses: list(Object.keys(broadcastStatusLabels), broadcastStatusLabels),
    auditActions: list(Object.keys(auditActionLabels), auditActionLabels),
    districts: districts.map((d) => ({
      code: d.code,
      name: d.name,
      towns: d.towns.map((t) => ({ code: t.code, name: t.name })),
    })),
    districtsSource: `${divisionsSource.package}: ${divisionsSource.data}`,
    configurableKinds: list(configurableKinds, configurableKindLabels),
    partKeys: list(partKeys, partKeyLabels),
    unansweredHandlings: list(Object.keys(unansweredHandlingLabels), unansweredHandlingLabels),
    knowledgeReviewDays: ctx.config.KNOWLEDGE_REVIEW_DAYS,
    timeZone: ctx.config.TZ,
  };
}

/** GET /meta: any signed-in staff member (also before a one-time password is replaced: it is only labels). */
export function staffMetaRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    const meta = staffMeta(ctx);
    app.get(
      "/meta",
      {
        onRequest: requireSignedIn(ctx),
        schema: {
          tags: ["staff"],
          summary: "Labels and lists the console shows: application types and their fields, statuses, roles, districts",
          security,
          response: { 200: staffMetaSchema, ...errorResponses },
        },
      },
      async () => meta,
    );
  };
}
