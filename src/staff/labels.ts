import type { StaffApplicationRow } from "../data/applications.ts";
import type { LoadedFlow } from "../flows/loader.ts";

/**
 * Chinese names staff read for codes stored in the database, in one place. The staff console
 * reads them all from GET /api/v1/staff/meta (src/staff/routes/meta.ts); application types and
 * their field labels come from the flow files in intents/.
 */

export const applicationStatusLabels: Record<string, string> = {
  pending: "待审核",
  info_requested: "待补充材料",
  approved: "已通过",
  rejected: "未通过",
};

export const decisionLabels: Record<string, string> = {
  approve: "通过",
  reject: "不通过",
  request_info: "要求补充材料",
};

export const roleLabels: Record<string, string> = { agent: "客服", reviewer: "审核员", editor: "知识库编辑", admin: "管理员" };

export const conversationStatusLabels: Record<string, string> = {
  bot: "助手服务中",
  escalated: "排队中",
  staff: "人工服务中",
  closed: "已关闭",
};

export const channelLabels: Record<string, string> = { web: "网页", api: "接口", wechat: "微信" };

export const broadcastStatusLabels: Record<string, string> = {
  queued: "排队中",
  sending: "发送中",
  done: "已完成",
  cancelled: "已取消",
};

export const authorLabels: Record<string, string> = { resident: "居民", bot: "助手", staff: "工作人员" };

export const auditActionLabels: Record<string, string> = {
  "staff.login": "登录",
  "staff.locked": "账号锁定",
  "staff.create": "新建账号",
  "staff.update": "修改账号",
  "staff.password": "修改密码",
  "staff.bootstrap_admin": "创建首个管理员",
  "conversation.view": "查看会话",
  "conversation.claim": "接入会话",
  "conversation.reply": "回复居民",
  "conversation.resolve": "结束人工",
  "application.view": "查看申请",
  "application.reveal_id": "查看完整证件号",
  "application.reveal_phone": "查看完整电话",
  "application.reveal_answer": "查看补充材料原文",
  "application.approve": "通过申请",
  "application.reject": "驳回申请",
  "application.request_info": "要求补充材料",
  "deletion.complete": "完成删除请求",
  "knowledge.publish": "发布知识条目",
  "knowledge.rollback": "恢复知识条目版本",
  "knowledge.reviewed": "确认知识条目已审核",
  "knowledge.create": "新建知识条目",
  "knowledge.import": "从知识库文件导入",
  "knowledge.example": "未答问题加为示例",
  "knowledge.draft": "编辑知识条目草稿",
  "unanswered.dismiss": "忽略未答问题",
};

/** The kinds of staff-maintained specifics, as the knowledge editor names them. */
export const configurableKindLabels: Record<string, string> = {
  phone: "电话",
  url: "网址",
  address: "地址",
  hours: "办公时间",
  text: "文字",
};

/** The parts of an entry (what a resident may ask about it). */
export const partKeyLabels: Record<string, string> = {
  eligibility: "谁可以办",
  prepare: "要准备什么",
  where: "在哪里办",
  online: "网上怎么办",
  cost: "费用",
  duration: "要多久",
  deadline: "期限",
  contact: "联系电话",
};

/** How staff handled an unanswered question. */
export const unansweredHandlingLabels: Record<string, string> = {
  example: "已加为示例",
  draft: "已起草新条目",
  dismissed: "已忽略",
};

/** The type's name for staff, from its flow file (the code itself for a flow since removed). */
export const typeLabel = (flows: Map<string, LoadedFlow>, type: string): string => flows.get(type)?.staff.label ?? type;

/** 张三 → 张*；李小明 → 李*明: enough to recognise, not enough to identify in a list. */
export function maskName(name: string | null): string | null {
  if (!name) return name;
  const chars = [...name];
  if (chars.length <= 1) return name;
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${"*".repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

/** What a list shows: no ID number, no phone. */
export function applicationSummary(a: StaffApplicationRow, flows: Map<string, LoadedFlow>) {
  return {
    id: a.id,
    reference: a.reference,
    type: a.type,
    typeLabel: typeLabel(flows, a.type),
    status: a.status,
    statusLabel: applicationStatusLabels[a.status] ?? a.status,
    name: a.name,
    idNumberMasked: a.idNumberMasked,
    district: a.district,
    channel: a.channel,
    createdAt: a.createdAt,
    decidedAt: a.decidedAt,
  };
}
