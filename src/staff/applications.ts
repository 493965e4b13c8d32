import { randomUUID } from "node:crypto";
import type { AppContext } from "../context.ts";
import type { ApplicationFilter, StaffApplicationRow } from "../data/applications.ts";
import { ConflictError } from "../data/errors.ts";
import { type InfoRequestRecord, parseInfoRequest } from "../domain/applications.ts";
import type { Effect } from "../domain/effects.ts";
import type { ChannelId } from "../domain/types.ts";
import { AppError, errors } from "../http/errors.ts";
import { decryptSecret, maskPhone } from "../lib/crypto.ts";
import { redactPersonalData } from "../lib/text.ts";
import type { StaffPrincipal } from "./auth.ts";
import { READ_AUDIT_WINDOW_MS } from "./conversations.ts";
import type { LoadedFlow } from "../flows/loader.ts";
import { applicationStatusLabels, applicationSummary, typeLabel } from "./labels.ts";
import { kickDispatcher } from "./runtime.ts";

export const applicationStatuses = ["pending", "info_requested", "approved", "rejected"] as const;
export type ApplicationStatus = (typeof applicationStatuses)[number];
export const decisions = ["approve", "reject", "request_info"] as const;
export type Decision = (typeof decisions)[number];

const decisionTargets: Record<Decision, ApplicationStatus> = {
  approve: "approved",
  reject: "rejected",
  request_info: "info_requested",
};

/**
 * The one place that says which decision may follow which status: pending and
 * info_requested applications can be approved, rejected or asked about; decided ones are final.
 */
export function nextApplicationStatus(from: string, decision: Decision): ApplicationStatus {
  if (from !== "pending" && from !== "info_requested") {
    throw errors.conflict(`这份申请已经${applicationStatusLabels[from] ?? from}，不能再改。`, "already_decided");
  }
  return decisionTargets[decision];
}

function parseData(json: string): Record<string, unknown> {
  try {
    const v = JSON.parse(json) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The fields of an application's data that hold a phone number: its flow's `phone` steps (the landlord's phone…). */
function phoneFieldsOf(flows: Map<string, LoadedFlow>, type: string): Set<string> {
  return new Set((flows.get(type)?.steps ?? []).filter((s) => s.type === "phone").map((s) => s.slot));
}

/** Every ID and phone number in a value masked, at any depth (the data holds strings, a few lists). */
function maskDeep(value: unknown): unknown {
  if (typeof value === "string") return redactPersonalData(value);
  if (Array.isArray(value)) return value.map(maskDeep);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v)]));
  return value;
}

/**
 * The application's data as staff first see it: phone fields masked like the applicant's phone
 * (the full number through the audited reveal), and any ID or phone number typed into another
 * field (a free-text reason) masked too.
 */
function maskedData(
  flows: Map<string, LoadedFlow>,
  a: StaffApplicationRow,
): { data: Record<string, unknown>; phoneFields: string[] } {
  const phones = phoneFieldsOf(flows, a.type);
  const data: Record<string, unknown> = {};
  const phoneFields: string[] = [];
  for (const [key, value] of Object.entries(parseData(a.data))) {
    if (phones.has(key) && typeof value === "string" && value) {
      data[key] = maskPhone(value);
      phoneFields.push(key);
    } else data[key] = maskDeep(value);
  }
  return { data, phoneFields };
}

/** What staff read of an information request: the answer masked; whether a full one can be revealed. */
function infoRequestView(text: string | null) {
  const record = parseInfoRequest(text);
  if (!record) return null;
  const { answerEnc, ...rest } = record;
  return {
    ...rest,
    ...(rest.answer !== undefined ? { answer: redactPersonalData(rest.answer) } : {}),
    answerHidden: Boolean(answerEnc?.length),
  };
}

export type ApplicationSummaryForStaff = ReturnType<typeof applicationSummary>;

export async function listForStaff(ctx: AppContext, filter: ApplicationFilter) {
  const { items, total } = await ctx.store.applications.listForStaff(filter);
  return { items: items.map((a) => applicationSummary(a, ctx.flows)), total };
}

async function load(ctx: AppContext, id: string): Promise<StaffApplicationRow> {
  const a = await ctx.store.applications.findForStaff(id);
  if (!a) throw errors.notFound("没有这份申请。");
  return a;
}

async function detail(ctx: AppContext, a: StaffApplicationRow) {
  const conversation = await ctx.store.conversations.ofResident(a.residentId);
  const { data, phoneFields } = maskedData(ctx.flows, a);
  return {
    ...applicationSummary(a, ctx.flows),
    data,
    phoneFields,
    phoneMasked: a.phone ? maskPhone(a.phone) : null,
    hasIdNumber: Boolean(a.idNumberEnc),
    decisionReason: a.decisionReason,
    decidedByName: a.decidedByName,
    infoRequest: infoRequestView(a.infoRequest),
    resident: { channel: a.channel, userId: a.userId, displayName: a.displayName },
    conversationId: conversation?.id ?? null,
  };
}

/** One application (ID masked). Audited: it is personal data. */
export async function viewApplication(ctx: AppContext, staff: StaffPrincipal, id: string) {
  const a = await load(ctx, id);
  await ctx.store.audit.recordRead(
    { staffUserId: staff.id, username: staff.username, action: "application.view", targetType: "application", targetId: id },
    ctx.clock.now(),
    READ_AUDIT_WINDOW_MS,
  );
  return detail(ctx, a);
}

function decrypt(ctx: AppContext, sealed: string): string {
  try {
    return decryptSecret(ctx.secrets.encryptionKey, sealed);
  } catch {
    throw new AppError(409, "undecryptable", "这项信息无法解密（密钥不匹配），请联系管理员。", "value could not be decrypted");
  }
}

/** What can be revealed: the ID number, the applicant's phone, a phone field of the data, the full answer to an information request. */
export type RevealField = string;

/** How each kind of reveal is recorded in the audit log. */
const revealActions = {
  id: "application.reveal_id",
  phone: "application.reveal_phone",
  answer: "application.reveal_answer",
} as const;

/**
 * One full value an application holds, for a reviewer who needs it (to call the landlord, to
 * check an ID). Every call is audited with the application's reference and the field, never
 * the value.
 */
export async function revealField(
  ctx: AppContext,
  staff: StaffPrincipal,
  id: string,
  field: RevealField,
): Promise<{ field: string; value: string }> {
  const a = await load(ctx, id);
  let kind: keyof typeof revealActions;
  let value: string | null = null;
  if (field === "idNumber") {
    kind = "id";
    if (!a.idNumberEnc) throw errors.notFound("这份申请没有身份证号。");
    value = decrypt(ctx, a.idNumberEnc);
  } else if (field === "phone") {
    kind = "phone";
    value = a.phone;
  } else if (field === "infoAnswer") {
    kind = "answer";
    const sealed = parseInfoRequest(a.infoRequest)?.answerEnc ?? [];
    value = sealed.length ? sealed.map((s) => decrypt(ctx, s)).join("\n") : null;
  } else if (phoneFieldsOf(ctx.flows, a.type).has(field)) {
    kind = "phone";
    const v = parseData(a.data)[field];
    value = typeof v === "string" && v ? v : null;
  } else {
    throw errors.badRequest("这一项不需要也不能查看完整内容。", "not_revealable");
  }
  if (!value) throw errors.notFound("这份申请没有这一项。");
  await ctx.store.audit.record(
    {
      staffUserId: staff.id,
      username: staff.username,
      action: revealActions[kind],
      targetType: "application",
      targetId: id,
      detail: `${a.reference}: ${field}`,
    },
    ctx.clock.now(),
  );
  return { field, value };
}

/** The full ID number, decrypted. Every call is audited. */
export async function revealIdNumber(ctx: AppContext, staff: StaffPrincipal, id: string): Promise<{ idNumber: string }> {
  const { value } = await revealField(ctx, staff, id, "idNumber");
  return { idNumber: value };
}

const noticeKeys: Record<Decision, keyof LoadedFlow["decisions"]> = {
  approve: "approved",
  reject: "rejected",
  request_info: "info_requested",
};

/** How an application of a type no loaded flow defines any more is decided (the wording the flows started from). */
const fallbackNotices: LoadedFlow["decisions"] = {
  approved: "您的{title}申请（编号 {reference}）已审核通过 ✅\n说明：{reason}\n还有问题随时问我。",
  rejected: "很抱歉，您的{title}申请（编号 {reference}）没有通过审核。\n原因：{reason}\n有疑问可以说“转人工”。",
  info_requested:
    "您的{title}申请（编号 {reference}）还需要您补充一些信息：\n{reason}\n请直接在这里回复补充的内容，我会转交工作人员。",
};

/**
 * What the resident is told about a decision, on their own channel: the wording is the flow
 * file's (`decisions:`); a line holding {reason} is left out when staff gave none.
 */
export function decisionNotice(
  flows: Map<string, LoadedFlow>,
  a: { type: string; reference: string },
  decision: Decision,
  reason: string | null,
): string {
  const flow = flows.get(a.type);
  const template = (flow?.decisions ?? fallbackNotices)[noticeKeys[decision]];
  const fill = (line: string) =>
    line
      .replaceAll("{title}", flow?.title ?? typeLabel(flows, a.type))
      .replaceAll("{reference}", a.reference)
      .replaceAll("{reason}", reason ?? "");
  return template
    .split("\n")
    .filter((line) => reason || !line.includes("{reason}"))
    .map(fill)
    .join("\n");
}

/**
 * Approve, reject (with a reason) or ask for more information. The status change, the notice
 * to the resident, the conversation's "info request" and the audit row commit together.
 */
export async function decideApplication(
  ctx: AppContext,
  staff: StaffPrincipal,
  id: string,
  decision: Decision,
  reasonInput: string | undefined,
) {
  const reason = reasonInput?.trim() || null;
  if ((decision === "reject" || decision === "request_info") && !reason) {
    throw errors.badRequest(decision === "reject" ? "拒绝时请写明原因。" : "请写明需要补充什么。", "reason_required");
  }
  const now = ctx.clock.now();
  const a = await load(ctx, id);
  const to = nextApplicationStatus(a.status, decision);
  const infoRequest =
    decision === "request_info"
      ? JSON.stringify({ question: reason ?? "", askedAt: now, askedBy: staff.username } satisfies InfoRequestRecord)
      : undefined;
  const effects: Effect[] = [
    {
      type: "application.decide",
      applicationId: id,
      ifStatus: a.status,
      status: to,
      decisionReason: reason,
      decidedBy: staff.id,
      decided: decision !== "request_info",
      ...(infoRequest !== undefined ? { infoRequest } : {}),
    },
  ];
  // An approved endorsement moves the permit's next endorsement date on a year, so its
  // reminders follow; same transaction as the decision.
  if (decision === "approve" && a.type === "permit_endorsement") {
    effects.push({
      type: "permit.endorsementApproved",
      residentId: a.residentId,
      idNumberHash: a.idNumberHash,
      data: parseData(a.data),
      timeZone: ctx.config.TZ,
    });
  }
  // The resident's next chat message answers the question (src/dialog/skills/info-request.ts).
  if (decision === "request_info") {
    effects.push({ type: "conversation.mergeState", residentId: a.residentId, values: { infoRequest: { applicationId: id } } });
  }
  effects.push(
    {
      type: "delivery.enqueue",
      delivery: {
        residentId: a.residentId,
        channel: a.channel as ChannelId,
        kind: "notice",
        text: decisionNotice(ctx.flows, a, decision, reason),
        dedupeKey: `staff:${randomUUID()}`,
        author: "staff",
        staffUserId: staff.id,
      },
    },
    {
      type: "audit.record",
      entry: {
        staffUserId: staff.id,
        username: staff.username,
        action: `application.${decision}`,
        targetType: "application",
        targetId: id,
        detail: `${a.reference}: ${a.status} → ${to}`,
      },
    },
  );
  try {
    await ctx.store.apply(effects, now);
  } catch (err) {
    if (err instanceof ConflictError) throw errors.conflict("申请状态刚刚变了，请刷新后再试。", "stale");
    throw err;
  }
  kickDispatcher(ctx);
  return detail(ctx, await load(ctx, id));
}
