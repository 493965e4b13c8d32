/** The two counters of a service instance's GET /metrics that the benchmark divides. */
export interface Counters {
  /** `yongju_db_statements_total`: statements sent to the database, BEGIN/COMMIT included (round trips on PostgreSQL). */
  statements: number;
  /** `yongju_turns_total{channel="api",result="answered"}`: resident messages answered on the api channel. */
  answered: number;
}

/**
 * Scrapes one instance's Prometheus text. Null when the service has no /metrics (an older
 * version, e.g. the baseline checkout) or lacks either counter. A scrape itself sends a few
 * statements (the outbox backlog gauge, the readiness ping): a handful against thousands of
 * turns per measured round, so they are left in.
 */
export async function scrapeCounters(port: number): Promise<Counters | null> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) return null;
  return parseCounters(await res.text());
}

export function parseCounters(text: string): Counters | null {
  let statements: number | null = null;
  // prom-client omits a labelled series until it is first incremented: no turns yet is 0.
  let answered = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const m = /^(\w+)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const [, name, labels = "", value] = m;
    if (name === "yongju_db_statements_total") statements = (statements ?? 0) + Number(value);
    else if (name === "yongju_turns_total" && /\bchannel="api"/.test(labels) && /\bresult="answered"/.test(labels)) {
      answered += Number(value);
    }
  }
  return statements === null ? null : { statements, answered };
}
