/**
 * The catalogue an instance answers from, at start-up: knowledge/*.md brought into the database
 * by the precedence rules (sync.ts), then the published entries loaded and kept current
 * (live.ts). One call from src/app.ts.
 */
import type { Logger } from "pino";
import type { Effect } from "../domain/effects.ts";
import { defaultKnowledgeDir } from "./index.ts";
import { KNOWLEDGE_CHANNEL, LiveCatalogue } from "./live.ts";
import { readNational } from "./load.ts";
import { type StoredForSync, syncKnowledgeFiles } from "./sync.ts";

/** What the knowledge runtime needs of the store (src/data/store.ts). */
export interface KnowledgeRuntimeStore {
  knowledge: {
    revision(): Promise<string | null>;
    all(): Promise<(StoredForSync & { content: string })[]>;
  };
  apply(effects: readonly Effect[], now: number): Promise<void>;
  publish(channel: string, payload: string): Promise<void>;
  subscribe(channel: string, handler: (payload: string) => void): () => void;
}

export async function openKnowledge(opts: {
  store: KnowledgeRuntimeStore;
  log: Logger;
  now: number;
  /** knowledge/ by default (tests point it elsewhere). */
  dir?: string;
  isConflict: (err: unknown) => boolean;
  onRebuild?: (ms: number) => void;
  checkEveryMs?: number;
}): Promise<LiveCatalogue> {
  const dir = opts.dir ?? defaultKnowledgeDir;
  const national = readNational(dir);
  await syncKnowledgeFiles({ store: opts.store, dir, national, log: opts.log, now: opts.now, isConflict: opts.isConflict });
  const live = await LiveCatalogue.open({
    source: opts.store.knowledge,
    national,
    log: opts.log,
    publish: (revision) => opts.store.publish(KNOWLEDGE_CHANNEL, revision),
    subscribe: (handler) => opts.store.subscribe(KNOWLEDGE_CHANNEL, handler),
    ...(opts.onRebuild ? { onRebuild: opts.onRebuild } : {}),
    ...(opts.checkEveryMs ? { checkEveryMs: opts.checkEveryMs } : {}),
  });
  live.start();
  return live;
}
