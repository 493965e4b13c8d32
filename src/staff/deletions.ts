import type { AppContext } from "../context.ts";
import { ConflictError } from "../data/errors.ts";
import { retentionPeriod } from "../domain/retention.ts";
import type { ChannelId } from "../domain/types.ts";
import { errors } from "../http/errors.ts";
import type { StaffPrincipal } from "./auth.ts";
import { kickDispatcher } from "./runtime.ts";

/** What the resident is told once their data is deleted: what went, what stays and for how long. */
export function deletionDoneNotice(applicationDays: number): string {
  return (
    "您好，您申请删除的个人信息已经删除了：聊天记录、提醒登记和通知设置都已清除，之后不会再给您发提醒和通知。" +
    `已经提交给政府部门的申请材料依法需要保存，会在审核完成${retentionPeriod(applicationDays)}后自动删除。` +
    "以后需要帮忙，随时再来找我。"
  );
}

export async function listDeletionRequests(ctx: AppContext, status: "pending" | "done") {
  const rows = await ctx.store.applications.listDeletionRequests(status, 200);
  return {
    items: rows.map(({ residentId: _r, ...row }) => row),
    applicationRetention: retentionPeriod(ctx.config.retention.applicationDays),
  };
}

/**
 * Carries out a resident's deletion request ("删除我的信息"): erases what the service holds about
 * them apart from submitted applications (kept for RETENTION_APPLICATION_DAYS after the
 * decision), tells them so on their channel, and records it in the audit log — in one transaction.
 */
export async function completeDeletionRequest(ctx: AppContext, staff: StaffPrincipal, id: string) {
  const request = await ctx.store.applications.findDeletionRequest(id);
  if (!request) throw errors.notFound("没有这个删除请求。");
  if (request.status !== "pending") throw errors.conflict("这个删除请求已经处理过了。", "already_done");
  try {
    await ctx.store.apply(
      [
        { type: "deletion.complete", requestId: id, residentId: request.residentId, doneBy: staff.username },
        {
          type: "delivery.enqueue",
          delivery: {
            residentId: request.residentId,
            channel: request.channel as ChannelId,
            kind: "notice",
            text: deletionDoneNotice(ctx.config.retention.applicationDays),
            dedupeKey: `deletion:${id}`,
            author: "staff",
            staffUserId: staff.id,
            // Not into a transcript that was just deleted.
            transcript: false,
          },
        },
        {
          type: "audit.record",
          entry: {
            staffUserId: staff.id,
            username: staff.username,
            action: "deletion.complete",
            targetType: "deletion_request",
            targetId: id,
            detail: `${request.channel} resident ${request.residentId.slice(0, 8)}`,
          },
        },
      ],
      ctx.clock.now(),
    );
  } catch (err) {
    if (err instanceof ConflictError) throw errors.conflict("这个删除请求已经处理过了。", "already_done");
    throw err;
  }
  kickDispatcher(ctx);
  return { id, status: "done" as const, applicationsKept: request.applications };
}
