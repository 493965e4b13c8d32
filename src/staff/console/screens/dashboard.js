// @ts-check
// 数据看板: today's counts (GET /stats, refreshed every 30 s) and the last 30 days as charts
// (GET /dashboard), each with its data as a CSV download. Chart titles and series names come from
// the server; the console only decides how to draw each shape.
import { chartCsvUrl, getDashboard, getStats } from "../lib/client.js";
import { COLOURS, loadChart } from "../lib/charts.js";
import { fmtTime, fmtWait, h, main, table } from "../lib/dom.js";

/** @import * as T from "../types.d.ts" */

const DAYS = 30;

/**
 * @param {string | number} value
 * @param {string} label
 */
const card = (value, label) =>
  h("div", { class: "card" }, h("div", { class: "value" }, value), h("div", { class: "label" }, label));

/**
 * One drawable chart: series over the days, or bars for a ranking or a grouping.
 * @typedef {{ kind: "days", datasets: { label: string, unit: string, values: (number | null)[] }[] }
 *   | { kind: "bars", labels: string[], values: number[] }} Shape
 * @typedef {{ csv: string, title: string, shape: Shape }} Drawable
 */

/**
 * A series' unit, from its stable name: the share of questions answered is per cent, waiting
 * times are minutes, everything else counts (drawn as bars; the others as lines on their own axis).
 * @param {{ name: string }} series
 */
const unitOf = (series) => (/share$/i.test(series.name) ? "percent" : /minutes$/i.test(series.name) ? "minutes" : "count");

/** @param {string} unit */
const isShare = (unit) => unit === "percent";

/**
 * The charts of a dashboard answer, each in a shape to draw: series per day, or ranked/grouped
 * counts as bars.
 * @param {T.Dashboard} data
 * @returns {Drawable[]}
 */
export function drawables(data) {
  return Object.entries(data.charts).map(([name, chart]) => ({
    csv: chart.name ?? name,
    title: chart.label,
    shape: chart.series
      ? {
          kind: /** @type {const} */ ("days"),
          datasets: chart.series.map((s) => ({ label: s.label, unit: unitOf(s), values: s.values })),
        }
      : {
          kind: /** @type {const} */ ("bars"),
          labels: (chart.items ?? []).map((x) => x.label),
          values: (chart.items ?? []).map((x) => x.n),
        },
  }));
}

/**
 * Draws one chart into a canvas; returns a clean-up.
 * @param {import("../lib/charts.js").ChartClass} Chart
 * @param {HTMLCanvasElement} canvas
 * @param {Shape} shape
 * @param {string[]} days
 */
function draw(Chart, canvas, shape, days) {
  if (shape.kind === "bars") {
    const chart = new Chart(canvas, {
      type: "bar",
      data: {
        labels: shape.labels.map((l) => (l.length > 24 ? `${l.slice(0, 23)}…` : l)),
        datasets: [{ label: "次数", data: shape.values, backgroundColor: COLOURS[0] }],
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    return () => chart.destroy();
  }
  // Series per day: counts as bars, shares and waiting times as lines on their own axis.
  const units = [...new Set(shape.datasets.map((d) => d.unit))];
  /** @type {Record<string, import("chart.js").ScaleOptions<"linear">>} */
  const scales = {};
  units.forEach((unit, i) => {
    const id = i === 0 ? "y" : `y${i}`;
    scales[id] = /** @type {any} */ ({
      type: "linear",
      position: i === 0 ? "left" : "right",
      beginAtZero: true,
      ...(isShare(unit) ? { max: 100, ticks: { callback: (/** @type {number} */ v) => `${v}%` } } : { ticks: { precision: 0 } }),
      grid: { drawOnChartArea: i === 0 },
    });
  });
  const chart = new Chart(canvas, {
    type: "bar",
    data: {
      labels: days.map((d) => d.slice(5)),
      datasets: shape.datasets.map((d, i) => {
        const axis = units.indexOf(d.unit);
        const line = d.unit !== "count";
        return /** @type {any} */ ({
          type: line ? "line" : "bar",
          label: d.label,
          data: d.values,
          yAxisID: axis === 0 ? "y" : `y${axis}`,
          backgroundColor: COLOURS[i % COLOURS.length],
          borderColor: COLOURS[i % COLOURS.length],
          spanGaps: true,
          pointRadius: 2,
        });
      }),
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { display: shape.datasets.length > 1 } },
      scales: /** @type {any} */ (scales),
    },
  });
  return () => chart.destroy();
}

/** Whether a chart has nothing to show (no series, no items, only zeros and gaps). @param {Shape} shape */
const isEmpty = (shape) =>
  shape.kind === "bars" ? !shape.values.some((v) => v) : !shape.datasets.some((d) => d.values.some((v) => v));

/** A short text of a chart's data for screen readers (and tests). @param {Shape} shape */
function summary(shape) {
  if (shape.kind === "bars") return shape.labels.map((l, i) => `${l} ${shape.values[i]}`).join("，") || "没有数据";
  return shape.datasets
    .map((d) => {
      const values = d.values.filter((v) => v !== null);
      const total = values.reduce((a, b) => a + b, 0);
      return isShare(d.unit) || d.unit === "minutes"
        ? `${d.label}：${values.length ? `最近 ${values[values.length - 1]}` : "没有数据"}`
        : `${d.label}：合计 ${total}`;
    })
    .join("；");
}

/**
 * The charts of the last DAYS days.
 * @param {import("../lib/view.js").View} view
 * @param {HTMLElement} into
 */
async function loadCharts(view, into) {
  const [data, Chart] = await Promise.all([getDashboard(DAYS), loadChart()]);
  if (view.stale()) return;
  const list = drawables(data).map((d) => {
    const canvas = h("canvas", { role: "img", "aria-label": `${d.title}：${summary(d.shape)}` });
    const box = h(
      "section",
      { class: "panel chart", dataset: { chart: d.csv } },
      h("h2", {}, d.title),
      isEmpty(d.shape) ? h("p", { class: "muted" }, `近 ${DAYS} 天还没有数据。`) : h("div", { class: "chart-box" }, canvas),
      h(
        "p",
        { class: "small" },
        h("a", { href: chartCsvUrl(d.csv, DAYS), download: `${d.csv}-${data.to}.csv` }, "下载数据（CSV）"),
      ),
    );
    return { box, canvas, shape: d.shape };
  });
  into.replaceChildren(
    h("p", { class: "muted small" }, `${data.from} 至 ${data.to}`),
    list.length
      ? h(
          "div",
          { class: "charts" },
          list.map((c) => c.box),
        )
      : h("p", { class: "muted" }, "还没有数据。"),
  );
  // Drawn once in the page (Chart.js measures its box); destroyed when the screen is left.
  for (const c of list) if (c.canvas.isConnected) view.onLeave(draw(Chart, c.canvas, c.shape, data.days));
}

/** @type {import("../lib/view.js").Screen} */
export async function screenDashboard(view) {
  const today = h("div", {});
  const charts = h("div", {}, h("p", { class: "muted" }, "正在加载图表…"));
  main().replaceChildren(h("h1", {}, "数据看板"), today, h("h2", {}, `近 ${DAYS} 天`), charts);
  const load = async () => {
    const s = await getStats();
    if (view.stale()) return;
    today.replaceChildren(
      h(
        "div",
        { class: "cards" },
        card(s.conversationsToday, "今日会话"),
        card(s.faqShareToday === null ? "—" : `${Math.round(s.faqShareToday * 100)}%`, "今日由知识库解答的比例"),
        card(s.escalationsWaiting, "排队等人工"),
        card(fmtWait(s.medianWaitMs), "排队等待时间（中位数）"),
        card(s.withStaff, "人工服务中"),
        card(s.applicationsPending, "待审核申请"),
        card(s.applicationsInfoRequested, "待居民补充材料"),
        card(s.remindersSentThisMonth, "本月已发签注提醒"),
        card(s.remindersFailedThisMonth, "本月发送失败的提醒"),
      ),
      h("p", { class: "muted small" }, s.officeOpen ? "现在是工作时间。" : "现在是非工作时间，转人工的居民会在上班后得到回复。"),
      h("h2", {}, "本月居住登记（按区县）"),
      s.registrationsThisMonthByDistrict.length
        ? table(
            ["区县", "登记数"],
            s.registrationsThisMonthByDistrict.map((r) => h("tr", {}, h("td", {}, r.district || "未填写"), h("td", {}, r.count))),
          )
        : h("p", { class: "muted" }, "本月还没有居住登记。"),
      h("p", { class: "muted small" }, `更新于 ${fmtTime(s.generatedAt)}`),
    );
  };
  // The charts load alongside today's numbers; a failure shows in their place only.
  const chartsLoaded = loadCharts(view, charts).catch((err) => {
    if (!view.stale())
      charts.replaceChildren(h("p", { class: "error" }, `图表加载失败：${err instanceof Error ? err.message : "请稍后再试"}`));
  });
  await load();
  await chartsLoaded;
  view.every(30000, load);
}
