import type { Logger } from "pino";
import type { Config } from "../config/config.ts";
import type { Secrets } from "../config/secrets.ts";
import type { Db } from "../data/db.ts";
import type { Clock } from "../lib/clock.ts";
import { Dialog } from "./dialog.ts";
import { fallbackSkill } from "./skills/fallback.ts";
import { guardsSkill } from "./skills/guards.ts";
import { smallTalkSkill } from "./skills/small-talk.ts";

/** What skills may depend on; loaded once at start-up. */
export interface DialogDeps {
  config: Config;
  secrets: Secrets;
  clock: Clock;
  log: Logger;
  db: Db;
}

/** The skills in the order they get a chance at each turn; the fallback is always last. */
export async function buildDialog(_deps: DialogDeps): Promise<Dialog> {
  return new Dialog([guardsSkill, smallTalkSkill, fallbackSkill]);
}
