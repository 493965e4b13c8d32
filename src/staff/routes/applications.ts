import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { errors } from "../../http/errors.ts";
import {
  applicationStatuses,
  decideApplication,
  decisions,
  listForStaff,
  revealField,
  revealIdNumber,
  viewApplication,
} from "../applications.ts";
import { requireRole, staffOf } from "../auth.ts";
import { startOfLocalDay } from "../office-hours.ts";
import { errorResponses, idParams, security } from "./schemas.ts";

export const summarySchema = z.object({
  id: z.string(),
  reference: z.string(),
  type: z.string(),
  typeLabel: z.string(),
  status: z.string(),
  statusLabel: z.string(),
  name: z.string().nullable(),
  idNumberMasked: z.string().nullable(),
  district: z.string().nullable(),
  channel: z.string(),
  createdAt: z.number(),
  decidedAt: z.number().nullable(),
});

export const detailSchema = summarySchema.extend({
  data: z.record(z.string(), z.unknown()).describe("ID and phone numbers masked"),
  phoneFields: z.array(z.string()).describe("fields of data holding a (masked) phone number: revealable"),
  phoneMasked: z.string().nullable(),
  hasIdNumber: z.boolean(),
  decisionReason: z.string().nullable(),
  decidedByName: z.string().nullable(),
  infoRequest: z
    .object({
      question: z.string().optional(),
      askedAt: z.number().optional(),
      askedBy: z.string().optional(),
      answer: z.string().optional().describe("ID and phone numbers masked"),
      answeredAt: z.number().optional(),
      answerHidden: z.boolean().describe("the answer held numbers: the full text through reveal (infoAnswer)"),
    })
    .nullable(),
  resident: z.object({ channel: z.string(), userId: z.string(), displayName: z.string().nullable() }),
  conversationId: z.string().nullable(),
});

/** `?type=&status=` (empty) means "any", as the contract writes the query. */
const blankAsMissing = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), schema.optional());

/** YYYY-MM-DD (local, config TZ) or epoch ms. */
const dateParam = z
  .string()
  .trim()
  .regex(/^(\d{4}-\d{2}-\d{2}|\d{10,14})$/, { error: "use YYYY-MM-DD" })
  .optional();

function toEpoch(value: string | undefined, timeZone: string, endOfDay: boolean): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const [y, m, d] = value.split("-").map(Number) as [number, number, number];
  // Noon UTC of that date falls on the same local date in every zone within ±12 h.
  const noon = Date.UTC(y, m - 1, d + (endOfDay ? 1 : 0), 12);
  if (Number.isNaN(noon)) throw errors.badRequest("日期格式应为 YYYY-MM-DD。");
  return startOfLocalDay(noon, timeZone);
}

/** Application review: reviewers (and admins). Agents get 403. */
export function staffApplicationRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    const reviewer = requireRole(ctx, "reviewer");
    const tags = ["staff: applications"];
    // Any loaded flow's type (intents/*.yml): a new flow file is filterable without a code change.
    const types = [...ctx.flows.keys()] as [string, ...string[]];

    app.get(
      "/applications",
      {
        onRequest: reviewer,
        schema: {
          tags,
          summary: "Submitted applications, oldest first, filtered by type, status, district and date",
          security,
          querystring: z.object({
            type: blankAsMissing(z.enum(types, { error: `type must be one of ${types.join(", ")}` })),
            status: blankAsMissing(z.enum(applicationStatuses)),
            district: blankAsMissing(z.string().trim().max(40)),
            from: blankAsMissing(dateParam).describe("submitted on or after this day (YYYY-MM-DD, local)"),
            to: blankAsMissing(dateParam).describe("submitted on or before this day (YYYY-MM-DD, local)"),
            limit: z.coerce.number().int().min(1).max(500).default(100),
            offset: z.coerce.number().int().min(0).default(0),
          }),
          response: { 200: z.object({ items: z.array(summarySchema), total: z.number() }), ...errorResponses },
        },
      },
      async (request) => {
        const q = request.query;
        return listForStaff(ctx, {
          type: q.type,
          status: q.status,
          district: q.district,
          from: toEpoch(q.from, ctx.config.TZ, false),
          to: toEpoch(q.to, ctx.config.TZ, true),
          limit: q.limit,
          offset: q.offset,
        });
      },
    );

    app.get(
      "/applications/:id",
      {
        onRequest: reviewer,
        schema: {
          tags,
          summary: "One application (ID masked; audited)",
          security,
          params: idParams,
          response: { 200: detailSchema, ...errorResponses },
        },
      },
      async (request) => viewApplication(ctx, staffOf(request), request.params.id),
    );

    app.post(
      "/applications/:id/reveal-id",
      {
        onRequest: reviewer,
        schema: {
          tags,
          summary: "The full ID number (audited)",
          security,
          params: idParams,
          response: { 200: z.object({ idNumber: z.string() }), ...errorResponses },
        },
      },
      async (request, reply) => {
        reply.header("cache-control", "no-store");
        return revealIdNumber(ctx, staffOf(request), request.params.id);
      },
    );

    app.post(
      "/applications/:id/reveal",
      {
        onRequest: reviewer,
        schema: {
          tags,
          summary: "One full value: idNumber, phone, a phone field of the data (e.g. landlordPhone) or infoAnswer (audited)",
          security,
          params: idParams,
          body: z.object({ field: z.string().trim().min(1).max(60) }),
          response: { 200: z.object({ field: z.string(), value: z.string() }), ...errorResponses },
        },
      },
      async (request, reply) => {
        reply.header("cache-control", "no-store");
        return revealField(ctx, staffOf(request), request.params.id, request.body.field);
      },
    );

    app.post(
      "/applications/:id/decision",
      {
        onRequest: reviewer,
        schema: {
          tags,
          summary: "Approve, reject (reason required) or request more information; the resident is told",
          security,
          params: idParams,
          body: z.object({
            decision: z.enum(decisions, { error: "decision must be approve, reject or request_info" }),
            reason: z.string().max(1000).optional(),
          }),
          response: { 200: detailSchema, ...errorResponses },
        },
      },
      async (request) => decideApplication(ctx, staffOf(request), request.params.id, request.body.decision, request.body.reason),
    );
  };
}
