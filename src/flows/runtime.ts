import type { ApplicationRepo } from "../data/applications.ts";
import type { Logger } from "pino";
import type { LoadedFlow } from "./loader.ts";

/** What the parts of the flow engine share for one running service. */
export interface FlowRuntime {
  /** The flows in intents/, by id (= application type). */
  flows: Map<string, LoadedFlow>;
  timeZone: string;
  secrets: { encryptionKey: Buffer; hashKey: Buffer };
  /** Read-only look-ups (status, prefill, reference numbers); writes go through the turn's effects. */
  applications: ApplicationRepo;
  log: Logger;
  /** True when the text matches a catalogue entry, so it is answered as a question. */
  isCatalogueQuestion?: ((text: string) => boolean) | undefined;
}
