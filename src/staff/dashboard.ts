/**
 * The dashboard's charts over the last N local days, and each chart as CSV. The numbers come
 * from a few grouped queries (src/data/dashboard.ts); here they are shaped, labelled and turned
 * into medians and shares.
 */
import type { AppContext } from "../context.ts";
import { localDate, localDayBounds } from "../lib/local-time.ts";
import { applicationStatusLabels, typeLabel } from "./labels.ts";

export interface Series {
  name: string;
  label: string;
  /** One value per day (null: nothing to measure that day, e.g. no handoff to take a median of). */
  values: (number | null)[];
}

export interface Chart {
  /** Stable: the CSV's name (`GET /dashboard/<name>.csv`). */
  name: string;
  label: string;
  /** Per-day series (charts over time). */
  series?: Series[];
  /** Ranked or grouped counts (charts that are not over time). */
  items?: { key: string; label: string; n: number }[];
}

export interface Dashboard {
  from: string;
  to: string;
  days: string[];
  charts: Record<string, Chart>;
}

export const chartNames = [
  "conversations",
  "answeredShare",
  "handoffs",
  "applications",
  "applicationStatus",
  "applicationType",
  "reminders",
  "topEntries",
  "topUnanswered",
] as const;

const TOP = 10;
const MINUTE = 60_000;

function median(sorted: readonly number[]): number | null {
  if (!sorted.length) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

export async function buildDashboard(ctx: AppContext, days: number): Promise<Dashboard> {
  const now = ctx.clock.now();
  const tz = ctx.config.TZ;
  const bounds = localDayBounds(now, tz, days);
  const from = bounds[0]!;
  const to = bounds[days]!;
  const dayNames = bounds.slice(0, days).map((b) => localDate(b, tz));
  const d = ctx.store.dashboard;
  const [conv, handoffs, apps, reminders, topEntries, topUnanswered] = await Promise.all([
    d.conversations(bounds),
    d.handoffs(bounds),
    d.applications(bounds),
    d.reminders(bounds),
    d.topEntries(from, to, TOP),
    d.topUnanswered(from, to, TOP),
  ]);

  const types = [...new Set(apps.perDay.map((r) => r.type))].sort();
  const perType = new Map(types.map((t) => [t, new Array<number>(days).fill(0)]));
  for (const r of apps.perDay) perType.get(r.type)![r.day] = r.n;
  const byType = types.map((t) => ({ key: t, label: typeLabel(ctx.flows, t), n: perType.get(t)!.reduce((a, b) => a + b, 0) }));

  const charts: Record<string, Chart> = {
    conversations: {
      name: "conversations",
      label: "每天的会话",
      series: [
        { name: "conversations", label: "会话数", values: conv.conversations },
        { name: "messages", label: "居民消息数", values: conv.messages },
      ],
    },
    answeredShare: {
      name: "answeredShare",
      label: "由知识库解答的比例",
      series: [
        {
          name: "share",
          label: "解答比例（%）",
          values: conv.questions.map((q, i) => (q ? round1((conv.answered[i]! / q) * 100) : null)),
        },
        { name: "questions", label: "居民提问数", values: conv.questions },
        { name: "answered", label: "由知识库解答数", values: conv.answered },
      ],
    },
    handoffs: {
      name: "handoffs",
      label: "转人工与等待时间",
      series: [
        { name: "handoffs", label: "转人工次数", values: handoffs.handoffs },
        {
          name: "medianWaitMinutes",
          label: "等待时间中位数（分钟）",
          values: handoffs.waitsByDay.map((w) => {
            const m = median(w);
            return m === null ? null : round1(m / MINUTE);
          }),
        },
      ],
    },
    applications: {
      name: "applications",
      label: "每天提交的申请（按类型）",
      series: types.map((t) => ({ name: t, label: typeLabel(ctx.flows, t), values: perType.get(t)! })),
    },
    applicationStatus: {
      name: "applicationStatus",
      label: "申请状态",
      items: apps.byStatus.map((s) => ({ key: s.status, label: applicationStatusLabels[s.status] ?? s.status, n: s.n })),
    },
    applicationType: { name: "applicationType", label: "申请类型", items: byType },
    reminders: {
      name: "reminders",
      label: "提醒发送情况",
      series: [
        { name: "sent", label: "已发送", values: reminders.sent },
        { name: "failed", label: "发送失败", values: reminders.failed },
      ],
    },
    topEntries: {
      name: "topEntries",
      label: "被问最多的条目",
      items: topEntries.map((e) => ({ key: e.entryId, label: ctx.catalogue.get(e.entryId)?.title ?? e.entryId, n: e.n })),
    },
    topUnanswered: {
      name: "topUnanswered",
      label: "最常见的未答问题",
      items: topUnanswered.map((q) => ({ key: q.id, label: q.sample, n: q.n })),
    },
  };
  return { from: dayNames[0]!, to: dayNames[days - 1]!, days: dayNames, charts };
}

/**
 * A cell of CSV: quoted when needed; a text starting with = + - @ gets a leading ' so a
 * spreadsheet never runs a resident's words as a formula.
 */
function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let s = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One chart as CSV, with a BOM so Excel reads the Chinese labels as UTF-8. */
export function chartCsv(dashboard: Dashboard, chart: Chart): string {
  const rows: unknown[][] = [];
  if (chart.series) {
    rows.push(["日期", ...chart.series.map((s) => s.label)]);
    dashboard.days.forEach((day, i) => {
      rows.push([day, ...chart.series!.map((s) => s.values[i])]);
    });
  } else {
    rows.push(["编号", "名称", "次数"]);
    for (const item of chart.items ?? []) rows.push([item.key, item.label, item.n]);
  }
  return `\uFEFF${rows.map((r) => r.map(cell).join(",")).join("\r\n")}\r\n`;
}
