import type { Logger } from "pino";
import type { Config } from "./config/config.ts";
import type { Secrets } from "./config/secrets.ts";
import type { Store } from "./data/store.ts";
import type { ChannelAdapter } from "./dialog/channel.ts";
import type { Engine } from "./dialog/engine.ts";
import type { Catalogue } from "./knowledge/index.ts";
import type { LiveCatalogue } from "./knowledge/live.ts";
import type { ChannelId, Reply } from "./domain/types.ts";
import type { Clock } from "./lib/clock.ts";
import type { LoadedFlow } from "./flows/loader.ts";
import type { Metrics } from "./ops/metrics.ts";
import type { Dispatcher } from "./outbox/dispatcher.ts";

/** The services one running instance is made of, shared by routes, channels and jobs. */
export interface AppContext {
  config: Config;
  secrets: Secrets;
  /** Everything stored (SQLite or PostgreSQL), behind async repositories. */
  store: Store;
  clock: Clock;
  log: Logger;
  engine: Engine;
  channels: Map<ChannelId, ChannelAdapter>;
  /** The catalogue as published now (seeded from knowledge/, edited by staff): `knowledge.current`. */
  readonly catalogue: Catalogue;
  /** The published catalogue, rebuilt in every instance when staff publish (src/knowledge/live.ts). */
  knowledge: LiveCatalogue;
  /** The replies a resident asking `question` would get if `catalogue` were published (nothing stored). */
  preview(catalogue: Catalogue, question: string, topic?: string): Promise<Reply[]>;
  /**
   * The guided flows (intents/*.yml), loaded once at start-up. Each flow's id is an application
   * type; its file holds the labels staff see and what residents are told at each decision.
   */
  flows: Map<string, LoadedFlow>;
  /** Delivers the outbox (reminders, staff replies, notices, broadcasts); kick() after an enqueue. */
  dispatcher: Dispatcher;
  /** Operational counters and timings for /metrics (absent in tools that build no server). */
  metrics?: Metrics;
  /** Whether this instance currently runs the scheduled jobs (absent when jobs are off). */
  leadership?: { readonly isLeader: boolean };
  /** Set on SIGTERM: /readyz answers 503 while the instance drains. */
  draining?: boolean;
  /** Jobs and adapters stopped, in reverse order, on shutdown. */
  onClose: Array<() => Promise<void> | void>;
  /**
   * WeChat login state for the staff console's channel screen; absent when the channel is off.
   * `qr` is the raw login QR payload, `qrUrl` an image of it (a locally rendered data: URL, usable
   * as <img src>), `user` the logged-in account's name, `lastError` "<ISO time> <message>".
   */
  wechatStatus?: () => { loggedIn: boolean; qr?: string; qrUrl?: string; user?: string; lastError?: string };
}
