import type { Logger } from "pino";
import type { Config } from "./config/config.ts";
import type { Secrets } from "./config/secrets.ts";
import type { Db } from "./data/db.ts";
import type { ChannelAdapter } from "./dialog/channel.ts";
import type { Engine } from "./dialog/engine.ts";
import type { ChannelId } from "./dialog/types.ts";
import type { Clock } from "./lib/clock.ts";

/** The services one running instance is made of, shared by routes, channels and jobs. */
export interface AppContext {
  config: Config;
  secrets: Secrets;
  db: Db;
  clock: Clock;
  log: Logger;
  engine: Engine;
  channels: Map<ChannelId, ChannelAdapter>;
  /** Jobs and adapters stopped, in reverse order, on shutdown. */
  onClose: Array<() => Promise<void> | void>;
}
