/** The rows of the benchmark table, in order; `key` is stable for tests, `measure` is what people read. */
export const ROWS = [
  { key: "catalogue", measure: "Message API, SQLite: catalogue answers, 1,000 residents" },
  { key: "persisted", measure: "Message API, SQLite: every message persisted" },
  { key: "flow", measure: "Message API, SQLite: guided-flow turns, 1,000 residents" },
  { key: "bare", measure: "Bare Fastify hello-world, same request" },
  { key: "ratio", measure: "Message API (SQLite) ÷ bare Fastify" },
  { key: "pg1Catalogue", measure: "Message API, PostgreSQL, 1 instance: catalogue answers, 1,000 residents" },
  { key: "pg1Flow", measure: "Message API, PostgreSQL, 1 instance: guided-flow turns, 1,000 residents" },
  { key: "pg2Catalogue", measure: "Message API, PostgreSQL, 2 instances: catalogue answers, 1,000 residents" },
  { key: "pg2Flow", measure: "Message API, PostgreSQL, 2 instances: guided-flow turns, 1,000 residents" },
  { key: "retrieval", measure: "In-process retrieval per question" },
  { key: "scan", measure: "Reminder scan" },
  { key: "broadcast", measure: "Broadcast enqueue" },
  { key: "startup", measure: "Start-up to a ready /readyz" },
  { key: "rss", measure: "Service RSS after the load (SQLite)" },
] as const;

/** The rows of `--soak`'s table (a run of its own). */
export const SOAK_ROWS = [
  { key: "soakSqlite", measure: "Soak, SQLite: memory under a steady load" },
  { key: "soakPostgres", measure: "Soak, PostgreSQL: memory under a steady load" },
] as const;

export type RowKey = (typeof ROWS)[number]["key"] | (typeof SOAK_ROWS)[number]["key"];

export interface Row {
  key: RowKey;
  measure: string;
  figure: string;
  target: string;
  /** null: no target, or not measurable in this run. */
  met: boolean | null;
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

/** A Markdown table: readable in a terminal and in bench/results.md alike. */
export function formatTable(rows: Row[]): string {
  const lines = ["| Measure | Figure | Target | Met |", "|---|---|---|:-:|"];
  for (const r of rows) {
    const met = r.met === null ? "–" : r.met ? "✓" : "✗";
    lines.push(`| ${cell(r.measure)} | ${cell(r.figure)} | ${cell(r.target || "–")} | ${r.target ? met : "–"} |`);
  }
  return lines.join("\n");
}
