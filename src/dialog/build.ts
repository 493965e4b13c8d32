import type { Logger } from "pino";
import type { Config } from "../config/config.ts";
import type { Secrets } from "../config/secrets.ts";
import type { Store } from "../data/store.ts";
import { type LoadedFlow, loadFlows } from "../flows/loader.ts";
import { createFlowsSkill } from "../flows/skill.ts";
import { type Catalogue, loadCatalogue } from "../knowledge/index.ts";
import type { Clock } from "../lib/clock.ts";
import { createLlm, type Llm } from "../llm/index.ts";
import { reminderSkill } from "../reminders/skill.ts";
import { Dialog } from "./dialog.ts";
import { fallbackSkill } from "./skills/fallback.ts";
import { faqSkill, feedbackSkill, safetySkill } from "./skills/faq.ts";
import { guardsSkill } from "./skills/guards.ts";
import { handoffSkill } from "./skills/handoff.ts";
import { infoRequestSkill } from "./skills/info-request.ts";
import { smallTalkSkill } from "./skills/small-talk.ts";

/** What skills may depend on; loaded once at start-up. */
export interface DialogDeps {
  config: Config;
  secrets: Secrets;
  clock: Clock;
  log: Logger;
  store: Store;
  /**
   * The service catalogue, or where to read the current one at each turn (staff publish new
   * versions while the service runs); loaded from knowledge/ when not given.
   */
  catalogue?: Catalogue | (() => Catalogue);
  /** The guided flows; loaded from intents/ when not given (a broken file stops start-up). */
  flows?: Map<string, LoadedFlow>;
  /** The LLM client; created from the configuration when not given (null: none). */
  llm?: Llm | null;
}

/** The LLM client of the configuration (null when none), saying so in the log. */
export function llmOf(config: Config, log: Logger): Llm | null {
  const llm = createLlm(config, log);
  if (!llm) log.info("LLM not configured (OPENAI_API_KEY / OPENAI_MODEL): answering from catalogue retrieval only");
  return llm;
}

/** The skills in the order they get a chance at each turn; the fallback is always last. */
export async function buildDialog(deps: DialogDeps): Promise<Dialog> {
  const given = deps.catalogue ?? (await loadCatalogue());
  const catalogue = typeof given === "function" ? given : () => given;
  const flows = deps.flows ?? loadFlows(undefined, deps.config.retention);
  const llm = deps.llm !== undefined ? deps.llm : llmOf(deps.config, deps.log);
  return new Dialog([
    // Words of distress are answered first, whatever else is going on (even mid-flow).
    safetySkill(catalogue),
    // Endorsement reminders (提醒我签注 / 退订提醒 / 订阅提醒) before the flows, so "帮我设置签注提醒"
    // is not taken for the endorsement application; it stands aside while a flow is in progress.
    reminderSkill({ permits: deps.store.permits, hashKey: deps.secrets.hashKey, timeZone: deps.config.TZ }),
    // Then the guided flows: while a flow waits it owns every turn (guards, questions midway)
    // except requests for a person, which it leaves to the handoff skill.
    createFlowsSkill({ ...deps, flows, isCatalogueQuestion: (text) => catalogue().understand(text).kind === "answer" }),
    // 有用/没用/👍 after an answer, before the guards take a lone 👍 for "no words".
    feedbackSkill(),
    guardsSkill,
    handoffSkill(deps.config),
    infoRequestSkill(deps.store.applications, deps.secrets.encryptionKey),
    smallTalkSkill([...flows.values()].map((f) => ({ title: f.title, say: f.offer.say }))),
    faqSkill({ catalogue, llm }),
    fallbackSkill,
  ]);
}
