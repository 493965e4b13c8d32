import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { replySchema } from "../../domain/types.ts";
import { errors } from "../../http/errors.ts";
import { entryBodySchema, entryChangesSchema, entryChangesShape } from "../../knowledge/edit.ts";
import { requireRole, staffOf } from "../auth.ts";
import {
  createEntry,
  deleteDraft,
  draftView,
  editEntry,
  entryView,
  listEntries,
  markReviewed,
  preview,
  publishedEntry,
  rollback,
  saveDraft,
  startDraft,
  versions,
} from "../knowledge.ts";
import { errorResponses, okSchema, security } from "./schemas.ts";

const entryIdParams = z.object({ id: z.string().min(1).max(100) });
const draftParams = z.object({ draftId: z.string().min(1).max(64) });
const published = z.object({ id: z.string(), version: z.number() });

const listItem = z.object({
  id: z.string(),
  title: z.string(),
  category: z.string(),
  version: z.number(),
  reviewedAt: z.string(),
  reviewDue: z.boolean(),
  emptySpecifics: z.number(),
  specifics: z.number(),
  feedback: z.object({ helpful: z.number(), unhelpful: z.number() }),
  unanswered: z.number().describe("Open unanswered questions whose closest entry is this one"),
  draft: z.boolean().describe("A draft of a new entry (id is the draft's id; never answered from)"),
});

const entrySchema = entryBodySchema.extend({ version: z.number() });

const draftSchema = z.object({
  id: z.string(),
  entryId: z.string().nullable(),
  title: z.string(),
  content: z.record(z.string(), z.unknown()),
  fromQuestionId: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

/** The knowledge editor's API: any staff role reads; editors and admins publish. */
export function staffKnowledgeRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    const anyStaff = requireRole(ctx);
    const editor = requireRole(ctx, "editor");
    const tags = ["staff: knowledge"];

    app.get(
      "/knowledge",
      {
        onRequest: anyStaff,
        schema: {
          tags,
          summary: "The catalogue: review dates, empty specifics, feedback, unanswered questions per entry",
          security,
          response: { 200: z.object({ items: z.array(listItem) }), ...errorResponses },
        },
      },
      async () => ({ items: await listEntries(ctx) }),
    );

    app.get(
      "/knowledge/drafts",
      {
        onRequest: anyStaff,
        schema: {
          tags,
          summary: "Drafts of new entries",
          security,
          response: { 200: z.object({ items: z.array(draftSchema) }), ...errorResponses },
        },
      },
      async () => ({ items: (await ctx.store.knowledge.drafts()).map(draftView) }),
    );

    app.post(
      "/knowledge/drafts",
      {
        onRequest: editor,
        schema: {
          tags,
          summary: "Start a draft of a new entry (stored, never answered from until published)",
          security,
          body: z.strictObject({
            id: z.string().max(100).optional().describe("The id the entry will get"),
            title: z.string().trim().min(1).max(100),
            fromQuestion: z
              .string()
              .max(64)
              .optional()
              .describe("An unanswered question's id: its sample becomes the first example"),
          }),
          response: { 200: draftSchema, ...errorResponses },
        },
      },
      async (request) => startDraft(ctx, staffOf(request), request.body),
    );

    app.get(
      "/knowledge/drafts/:draftId",
      {
        onRequest: anyStaff,
        schema: { tags, summary: "One draft", security, params: draftParams, response: { 200: draftSchema, ...errorResponses } },
      },
      async (request) => {
        const d = await ctx.store.knowledge.draft(request.params.draftId);
        if (!d) throw errors.notFound("没有这份草稿。");
        return draftView(d);
      },
    );

    app.put(
      "/knowledge/drafts/:draftId",
      {
        onRequest: editor,
        schema: {
          tags,
          summary: "Save a draft (its fields as far as written)",
          security,
          params: draftParams,
          body: z.strictObject({
            title: z.string().max(100).optional(),
            id: z.string().max(100).nullable().optional(),
            content: z.record(z.string(), z.unknown()).optional(),
          }),
          response: { 200: draftSchema, ...errorResponses },
        },
      },
      async (request) => {
        if (request.body.content && JSON.stringify(request.body.content).length > 100_000) {
          throw errors.badRequest("content: the draft is too large (100 000 characters at most)", "draft_too_large");
        }
        return saveDraft(ctx, staffOf(request), request.params.draftId, request.body);
      },
    );

    app.delete(
      "/knowledge/drafts/:draftId",
      {
        onRequest: editor,
        schema: {
          tags,
          summary: "Delete a draft",
          security,
          params: draftParams,
          response: { 200: okSchema, ...errorResponses },
        },
      },
      async (request) => {
        await deleteDraft(ctx, staffOf(request), request.params.draftId);
        return { ok: true as const };
      },
    );

    app.post(
      "/knowledge",
      {
        onRequest: editor,
        schema: {
          tags,
          summary: "Publish a new entry (validated like a file)",
          security,
          body: z.strictObject({
            draft: entryBodySchema,
            draftId: z.string().max(64).optional().describe("The draft it was written in: deleted when published"),
          }),
          response: { 200: published, ...errorResponses },
        },
      },
      async (request) => createEntry(ctx, staffOf(request), request.body.draft, request.body.draftId),
    );

    app.get(
      "/knowledge/:id",
      {
        onRequest: anyStaff,
        schema: {
          tags,
          summary: "One entry as published now",
          security,
          params: entryIdParams,
          response: { 200: entrySchema, ...errorResponses },
        },
      },
      async (request) => {
        const { row, content } = await publishedEntry(ctx, request.params.id);
        return entryView(row, content);
      },
    );

    app.patch(
      "/knowledge/:id",
      {
        onRequest: editor,
        schema: {
          tags,
          summary: "Publish a change at once, for every instance (409 stale_version unless baseVersion is current)",
          security,
          params: entryIdParams,
          body: z.strictObject({ baseVersion: z.number().int().min(1), ...entryChangesShape }),
          response: { 200: published, ...errorResponses },
        },
      },
      async (request) => {
        const { baseVersion, ...changes } = request.body;
        return editEntry(ctx, staffOf(request), request.params.id, baseVersion, changes);
      },
    );

    app.get(
      "/knowledge/:id/versions",
      {
        onRequest: anyStaff,
        schema: {
          tags,
          summary: "Every version, newest first, with the field-level changes against the one before",
          security,
          params: entryIdParams,
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  version: z.number(),
                  action: z.string(),
                  by: z.string().nullable(),
                  at: z.number(),
                  changes: z.array(z.object({ field: z.string(), before: z.unknown(), after: z.unknown() })),
                }),
              ),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => ({ items: await versions(ctx, request.params.id) }),
    );

    app.post(
      "/knowledge/:id/rollback",
      {
        onRequest: editor,
        schema: {
          tags,
          summary: "Publish a new version equal to version n",
          security,
          params: entryIdParams,
          body: z.strictObject({ version: z.number().int().min(1) }),
          response: { 200: published, ...errorResponses },
        },
      },
      async (request) => rollback(ctx, staffOf(request), request.params.id, request.body.version),
    );

    app.post(
      "/knowledge/:id/reviewed",
      {
        onRequest: editor,
        schema: {
          tags,
          summary: "Mark the entry reviewed today without other changes",
          security,
          params: entryIdParams,
          body: z.strictObject({ baseVersion: z.number().int().min(1) }),
          response: { 200: published, ...errorResponses },
        },
      },
      async (request) => markReviewed(ctx, staffOf(request), request.params.id, request.body.baseVersion),
    );

    app.post(
      "/knowledge/:id/preview",
      {
        onRequest: editor,
        schema: {
          tags,
          summary: "What a resident asking `question` would be answered, as published or after `changes` (nothing stored)",
          security,
          params: entryIdParams,
          body: z.strictObject({
            question: z.string().trim().min(1).max(500),
            changes: entryChangesSchema.optional(),
            topic: z.string().max(100).optional().describe("An entry id: preview a follow-up on that topic"),
          }),
          response: { 200: z.object({ replies: z.array(replySchema) }), ...errorResponses },
        },
      },
      async (request) => ({ replies: await preview(ctx, request.params.id, request.body) }),
    );
  };
}
