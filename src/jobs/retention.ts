import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { PurgeChunk, PurgeCounts, RetentionRepo } from "../data/retention.ts";
import { DAY_MS, type RetentionPolicy } from "../domain/retention.ts";

export interface RetentionOptions {
  retention: RetentionRepo;
  policy: RetentionPolicy;
  log?: Logger;
  /** Stops between chunks (leadership lost, shutdown); what was deleted stays deleted. */
  signal?: AbortSignal;
  /** Pause between chunks, so chat turns run in between (default 20 ms). */
  pauseMs?: number;
  /** Conversations per transcript chunk (default 100). */
  chunkConversations?: number;
}

export interface RetentionResult extends PurgeCounts {
  ms: number;
}

/**
 * The daily retention job (on the scheduler's leader): deletes decided applications older than
 * RETENTION_APPLICATION_DAYS after the decision and transcripts older than
 * RETENTION_TRANSCRIPT_DAYS after their last message, with the copies of the residents' words
 * kept elsewhere (finished proactive messages, unanswered-question samples) and residents left
 * with nothing. It works in small chunks, each its own short transaction, pausing between them:
 * chat turns never wait for more than one chunk. Idempotent: a second run finds nothing.
 */
export async function runRetention(opts: RetentionOptions, now: number): Promise<RetentionResult> {
  const started = performance.now();
  const { retention, policy } = opts;
  const transcripts = now - policy.transcriptDays * DAY_MS;
  const applications = now - policy.applicationDays * DAY_MS;
  const total: PurgeCounts = { conversations: 0, messages: 0, applications: 0, residents: 0, deliveries: 0, unanswered: 0 };
  // Old deliveries and applications first: a resident they kept can then go with their transcript.
  const steps: Array<() => Promise<PurgeChunk>> = [
    () => retention.purgeDeliveries(transcripts),
    () => retention.purgeApplications(applications),
    () => retention.purgeTranscripts(transcripts, opts.chunkConversations),
    () => retention.purgeUnanswered(transcripts),
  ];
  for (const step of steps) {
    while (!opts.signal?.aborted) {
      const chunk = await step();
      for (const key of Object.keys(total) as (keyof PurgeCounts)[]) total[key] += chunk[key];
      if (chunk.done) break;
      await sleep(opts.pauseMs ?? 20);
    }
  }
  const ms = Math.round(performance.now() - started);
  opts.log?.info({ ...total, ms, aborted: opts.signal?.aborted ?? false }, "retention: expired personal data deleted");
  return { ...total, ms };
}
