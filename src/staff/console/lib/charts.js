// @ts-check
// Charts for the dashboard with Chart.js, served by the service itself (/staff/assets/vendor/,
// from the installed package: the machines are offline, no CDN). Its UMD build, loaded as a module
// once, defines globalThis.Chart.

/** @typedef {typeof import("chart.js").Chart} ChartClass */
/** @typedef {import("chart.js").Chart} ChartInstance */

/** A variable, not a literal: the type checker must not look for this URL on disk. */
const CHART_URL = "/staff/assets/vendor/chart.umd.min.js";

/** @type {Promise<ChartClass> | null} */
let loading = null;

/** Chart.js, loaded on first use. */
export function loadChart() {
  loading ??= import(CHART_URL).then(() => {
    const Chart = /** @type {{ Chart?: ChartClass }} */ (globalThis).Chart;
    if (!Chart) throw new Error("图表组件加载失败");
    return Chart;
  });
  return loading;
}

/** Colours for the series, in order. */
export const COLOURS = ["#4c6ef5", "#f76707", "#2f9e44", "#e03131", "#7048e8", "#1098ad", "#f59f00", "#868e96"];
