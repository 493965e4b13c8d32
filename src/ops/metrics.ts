import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Store } from "../data/store.ts";

/**
 * Prometheus metrics of one instance (GET /metrics). Each instance has its own registry and
 * labels every series with its id, so a scrape of several instances adds up per instance.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly turns: Counter<"channel" | "result">;
  private readonly turnSeconds: Histogram<"channel">;
  private readonly deliveries: Counter<"channel" | "outcome">;
  private readonly scanSeconds: Histogram;

  constructor(store: Store, leader: () => boolean) {
    this.registry.setDefaultLabels({ instance_id: store.instanceId });
    collectDefaultMetrics({ register: this.registry, prefix: "yongju_" });
    this.turns = new Counter({
      name: "yongju_turns_total",
      help: "Resident messages handled, by channel and result (answered, duplicate, rate_limited, error)",
      labelNames: ["channel", "result"],
      registers: [this.registry],
    });
    this.turnSeconds = new Histogram({
      name: "yongju_turn_duration_seconds",
      help: "Time to handle one resident message, committed, by channel",
      labelNames: ["channel"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.deliveries = new Counter({
      name: "yongju_deliveries_total",
      help: "Proactive deliveries attempted by this instance, by channel and outcome",
      labelNames: ["channel", "outcome"],
      registers: [this.registry],
    });
    this.scanSeconds = new Histogram({
      name: "yongju_reminder_scan_duration_seconds",
      help: "Duration of reminder scans run by this instance",
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120],
      registers: [this.registry],
    });
    new Gauge({
      name: "yongju_outbox_deliveries",
      help: "Outbox deliveries by channel and status (pending, sending, failed, unknown): the backlog and what needs staff",
      labelNames: ["channel", "status"],
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          for (const row of await store.outbox.backlog()) this.set({ channel: row.channel, status: row.status }, row.n);
        } catch {
          // database unreachable: /readyz says so; the scrape still answers
        }
      },
    });
    new Gauge({
      name: "yongju_scheduler_leader",
      help: "1 when this instance runs the scheduled jobs (reminder scan)",
      registers: [this.registry],
      collect() {
        this.set(leader() ? 1 : 0);
      },
    });
    new Counter({
      name: "yongju_db_statements_total",
      help: "Statements this instance sent to the database (BEGIN and COMMIT included): round trips on PostgreSQL",
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(store.statements());
      },
    });
    new Gauge({
      name: "yongju_database_up",
      help: "1 when the database answers",
      registers: [this.registry],
      async collect() {
        this.set((await store.ready()) ? 1 : 0);
      },
    });
  }

  // Labelled children looked up once: hashing the labels on every message is measurable.
  private readonly turnChildren = new Map<string, { count: { inc(): void }; seconds: { observe(v: number): void } }>();

  turnFinished(channel: string, result: string, ms: number): void {
    const key = `${channel}\u0000${result}`;
    let child = this.turnChildren.get(key);
    if (!child) {
      child = { count: this.turns.labels({ channel, result }), seconds: this.turnSeconds.labels({ channel }) };
      this.turnChildren.set(key, child);
    }
    child.count.inc();
    child.seconds.observe(ms / 1000);
  }

  delivery(channel: string, outcome: string): void {
    this.deliveries.inc({ channel, outcome });
  }

  scanFinished(ms: number): void {
    this.scanSeconds.observe(ms / 1000);
  }
}
