import type { StaffApplicationRow } from "../data/applications.ts";

/** Chinese names staff and residents read for codes stored in the database. */
export const applicationTypeLabels: Record<string, string> = {
  address_report: "居住登记申报",
  address_deregistration: "居住登记注销",
  permit_endorsement: "居住证签注",
};

export const applicationStatusLabels: Record<string, string> = {
  pending: "待审核",
  info_requested: "待补充材料",
  approved: "已通过",
  rejected: "未通过",
};

export const typeLabel = (type: string): string => applicationTypeLabels[type] ?? type;

/** 张三 → 张*；李小明 → 李*明: enough to recognise, not enough to identify in a list. */
export function maskName(name: string | null): string | null {
  if (!name) return name;
  const chars = [...name];
  if (chars.length <= 1) return name;
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${"*".repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

/** What a list shows: no ID number, no phone. */
export function applicationSummary(a: StaffApplicationRow) {
  return {
    id: a.id,
    reference: a.reference,
    type: a.type,
    typeLabel: typeLabel(a.type),
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
