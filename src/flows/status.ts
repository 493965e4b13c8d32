import type { ApplicationRepo } from "../data/applications.ts";
import { type ApplicationStatus, type ApplicationSummary, parseInfoRequest, REFERENCE_PATTERN } from "../domain/applications.ts";
import { type RetentionPolicy, retentionPeriod } from "../domain/retention.ts";
import { chineseDate, localDay } from "./dates.ts";
import type { LoadedFlow } from "./loader.ts";

const STATUS_TEXT: Record<ApplicationStatus, string> = {
  pending: "待审核（工作人员正在处理）",
  info_requested: "需要补充材料",
  approved: "已通过",
  rejected: "未通过",
};

function describe(app: ApplicationSummary, titles: Map<string, string>, timeZone: string): string {
  const lines = [
    `${titles.get(app.type) ?? app.type}｜编号 ${app.reference}`,
    `  ${chineseDate(localDay(app.createdAt, timeZone))}提交｜${STATUS_TEXT[app.status] ?? app.status}`,
  ];
  if (app.idNumberMasked) lines.push(`  身份证号 ${app.idNumberMasked}`);
  // Only the question, in the resident's words: the stored record also names the staff member
  // who asked and when, which is for staff.
  const question = app.status === "info_requested" ? parseInfoRequest(app.infoRequest)?.question?.trim() : undefined;
  if (question) lines.push(`  需要您补充：${question}\n  （直接在这里回复补充的内容就行）`);
  else if (app.status === "info_requested")
    lines.push("  （工作人员需要您补充一些信息，直接在这里回复就行，也可以说“转人工”问问）");
  if (app.status === "rejected" && app.decisionReason) lines.push(`  原因：${app.decisionReason}`);
  return lines.join("\n");
}

/** The resident's applications (or the one whose reference they quoted), in plain Chinese. */
export async function statusText(
  applications: ApplicationRepo,
  residentId: string,
  text: string,
  flows: Map<string, LoadedFlow>,
  timeZone: string,
): Promise<string> {
  const titles = new Map([...flows.values()].map((f) => [f.id as string, f.title]));
  const reference = REFERENCE_PATTERN.exec(text)?.[0]?.toUpperCase();
  if (reference) {
    const app = await applications.findByReference(residentId, reference);
    if (!app)
      return `没有找到编号为 ${reference} 的申请。这里只能查您自己提交的申请，麻烦核对一下编号，或者发“查进度”看看您的全部申请。`;
    return `您的申请：\n${describe(app, titles, timeZone)}`;
  }
  const apps = await applications.listForResident(residentId, 10);
  if (!apps.length) {
    const ways = [...flows.values()].map((f) => `“${f.offer.say}”（${f.title}）`).join("、");
    return `您还没有通过我提交过申请。需要的话可以说${ways}。`;
  }
  const list = apps.map((a, i) => `${i + 1}. ${describe(a, titles, timeZone)}`).join("\n");
  return `您的申请${apps.length > 1 ? `（最近${apps.length}条）` : ""}：\n${list}\n有结果时我会在这里通知您。`;
}

export async function deletionText(
  applications: ApplicationRepo,
  residentId: string,
  retention: RetentionPolicy,
): Promise<string> {
  if (await applications.hasPendingDeletion(residentId)) {
    return "您的删除请求已经在处理中了，不用重复提交。工作人员核实后会删除您的个人信息，处理完会在这里告诉您。";
  }
  return (
    "已收到您删除个人信息的请求，也已撤回您之前的同意。\n" +
    "接下来：工作人员会核实并删除您在这里留下的个人信息，一般在15个工作日内处理完，处理结果会在这里告诉您。" +
    `已经提交给政府部门的申请材料依法需要保存，会在审核完成${retentionPeriod(retention.applicationDays)}后自动删除。`
  );
}

export function withdrawnText(retention: RetentionPolicy): string {
  return (
    "已撤回您的同意，之后不会再为办理业务收集您的个人信息；正在办理的也已经停止。" +
    `已经提交的申请会继续审核，申请材料在审核完成${retentionPeriod(retention.applicationDays)}后自动删除。` +
    "如果想现在就删除您在这里留下的信息，请回复“删除我的信息”。"
  );
}
