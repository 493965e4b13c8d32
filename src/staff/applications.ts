import { randomUUID } from "node:crypto";
import type { AppContext } from "../context.ts";
import type { ApplicationFilter, StaffApplicationRow } from "../data/applications.ts";
import { ConflictError } from "../data/errors.ts";
import type { InfoRequestRecord } from "../domain/applications.ts";
import type { Effect } from "../domain/effects.ts";
import type { ChannelId } from "../domain/types.ts";
import { AppError, errors } from "../http/errors.ts";
import { decryptSecret, maskPhone } from "../lib/crypto.ts";
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

function parseInfoRequest(text: string | null): Partial<InfoRequestRecord> | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as InfoRequestRecord;
  } catch {
    return { question: text };
  }
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
  return {
    ...applicationSummary(a, ctx.flows),
    data: parseData(a.data),
    phoneMasked: a.phone ? maskPhone(a.phone) : null,
    hasIdNumber: Boolean(a.idNumberEnc),
    decisionReason: a.decisionReason,
    decidedByName: a.decidedByName,
    infoRequest: parseInfoRequest(a.infoRequest),
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

/** The full ID number, decrypted. Every call is audited. */
export async function revealIdNumber(ctx: AppContext, staff: StaffPrincipal, id: string): Promise<{ idNumber: string }> {
  const a = await load(ctx, id);
  if (!a.idNumberEnc) throw errors.notFound("这份申请没有身份证号。");
  let idNumber: string;
  try {
    idNumber = decryptSecret(ctx.secrets.encryptionKey, a.idNumberEnc);
  } catch {
    throw new AppError(
      409,
      "undecryptable",
      "身份证号无法解密（密钥不匹配），请联系管理员。",
      "ID number could not be decrypted",
    );
  }
  await ctx.store.audit.record(
    {
      staffUserId: staff.id,
      username: staff.username,
      action: "application.reveal_id",
      targetType: "application",
      targetId: id,
      detail: a.reference,
    },
    ctx.clock.now(),
  );
  return { idNumber };
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
