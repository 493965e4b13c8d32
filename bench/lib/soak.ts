import type { LoadResult } from "./load.ts";

/** One reading of the service's memory during a soak (bytes), `t` seconds after the load began. */
export interface MemorySample {
  t: number;
  /** Messages answered by then (2xx seen by the load generator). */
  answered: number;
  /** The database's size (SQLite: pages, WAL included; PostgreSQL: on disk): SQLite's page cache fills up to this. */
  dbBytes: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Linux's split of the RSS (/proc/self/status; 0 elsewhere): malloc'd memory and the JS heap. */
  rssAnon: number;
  /** File-backed pages mapped in: code, mmapped files. */
  rssFile: number;
  /** Shared memory (tmpfs-backed or System V/POSIX shared mappings). */
  rssShmem: number;
}

export interface SoakResult {
  label: string;
  rate: number;
  seconds: number;
  load: LoadResult;
  samples: MemorySample[];
  rssAfterGc: number;
  heapUsedAfterGc: number;
}

const MB = 1024 * 1024;
const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mb = (bytes: number) => fmt(bytes / MB);

/** Slope of the least-squares line through (x, y), per unit of x; 0 with fewer than two points. */
export function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den ? num / den : 0;
}

/** The samples of the second half of the load: start-up effects (JIT, caches filling) are behind. */
const secondHalf = (r: SoakResult) => r.samples.filter((s) => s.t >= r.seconds / 2);

/** Growth in MB/s of one measure over the second half. */
export function growth(r: SoakResult, pick: (s: MemorySample) => number): number {
  return slope(secondHalf(r).map((s) => [s.t, pick(s) / MB]));
}

const signed = (v: number) => `${v >= 0 ? "+" : "−"}${fmt(Math.abs(v), 3)} MB/s`;

/** The soak's row in the table, and its RSS growth for the target. */
export function soakFigure(r: SoakResult): { text: string; rssSlopeMBps: number } {
  const first = r.samples[0]!;
  const last = r.samples[r.samples.length - 1]!;
  const rssSlope = growth(r, (s) => s.rss);
  const half = secondHalf(r);
  const text =
    `${fmt(r.load.perSecond)} msg/s for ${fmt(r.load.seconds)} s (${fmt(r.load.ok)} answered, ${fmt(r.load.non2xx)} non-2xx, ` +
    `p99 ${fmt(r.load.p99)} ms) · RSS ${mb(first.rss)} → ${mb(last.rss)} MB, ${signed(rssSlope)} over the second half ` +
    `(of which anonymous ${signed(growth(r, (s) => s.rssAnon))}, shared ${signed(growth(r, (s) => s.rssShmem))}) · ` +
    `JS heap used ${mb(first.heapUsed)} → ${mb(last.heapUsed)} MB, ${signed(growth(r, (s) => s.heapUsed))} · ` +
    `after a full GC: RSS ${mb(r.rssAfterGc)} MB, heap ${mb(r.heapUsedAfterGc)} MB · database ${mb(first.dbBytes)} → ${mb(last.dbBytes)} MB · ` +
    `fit over ${half.length} samples`;
  return { text, rssSlopeMBps: rssSlope };
}

/** The time series as a Markdown table (MB), for the report (the database's size on disk last). */
export function soakSeries(r: SoakResult): string {
  const lines = [
    `## ${r.label}: memory under ${fmt(r.rate)} messages a second for ${fmt(r.seconds)} s`,
    "",
    "| t (s) | msg/s since last | RSS | anonymous | file | shared | heap used | heap total | external | array buffers | database |",
    "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  let prev: MemorySample | null = null;
  for (const s of r.samples) {
    const rate = prev && s.t > prev.t ? fmt((s.answered - prev.answered) / (s.t - prev.t)) : "–";
    lines.push(
      `| ${fmt(s.t, 1)} | ${rate} | ${mb(s.rss)} | ${mb(s.rssAnon)} | ${mb(s.rssFile)} | ${mb(s.rssShmem)} | ${mb(s.heapUsed)} | ${mb(s.heapTotal)} | ${mb(s.external)} | ${mb(s.arrayBuffers)} | ${mb(s.dbBytes)} |`,
    );
    prev = s;
  }
  const g = (name: string, pick: (s: MemorySample) => number) => `${name} ${signed(growth(r, pick))}`;
  lines.push(
    "",
    `Growth over the second half (least-squares line through the samples at t ≥ ${fmt(r.seconds / 2)} s): ` +
      [
        g("RSS", (s) => s.rss),
        g("anonymous", (s) => s.rssAnon),
        g("file", (s) => s.rssFile),
        g("shared", (s) => s.rssShmem),
        g("heap used", (s) => s.heapUsed),
        g("heap total", (s) => s.heapTotal),
        g("external", (s) => s.external),
      ].join(", ") +
      ".",
  );
  return lines.join("\n");
}
