import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type Database from "better-sqlite3";
import type { Logger } from "pino";
import { recordAudit } from "../data/audit.ts";
import {
  type Audience,
  type BroadcastProgress,
  broadcastProgress,
  cancelPendingChunk,
  countAudience,
  enqueueBroadcastChunk,
  finishEnqueue,
  getBroadcast,
  insertBroadcast,
  markBroadcastCancelled,
  cancelledWithPending,
  queuedBroadcasts,
} from "../data/broadcasts.ts";
import type { ChannelAdapter } from "../dialog/channel.ts";
import type { ChannelId } from "../dialog/types.ts";
import type { Clock } from "../lib/clock.ts";

export interface BroadcastDeps {
  sql: Database.Database;
  clock: Clock;
  log: Logger;
  channels: Map<ChannelId, ChannelAdapter>;
  dispatcher: { kick(): void };
}

export interface StaffActor {
  id: string;
  username: string;
}

/** Recipients queued per transaction: bounded memory and short write locks for a million recipients. */
const CHUNK = 5000;

const channelsOf = (deps: BroadcastDeps) => [...deps.channels.keys()];

/** How many residents a broadcast to this audience would reach (the "dry run"). */
export function countRecipients(deps: BroadcastDeps, audience: Audience): number {
  return countAudience(deps.sql, audience, channelsOf(deps));
}

/**
 * Creates a broadcast and queues one delivery per recipient (dedupe key
 * broadcast:<id>:<residentId>, so each resident gets it once), then wakes the dispatcher.
 */
export async function createBroadcast(
  deps: BroadcastDeps,
  input: { text: string; audience: Audience },
  actor: StaffActor | null,
): Promise<{ id: string; recipients: number }> {
  const now = deps.clock.now();
  const recipients = countRecipients(deps, input.audience);
  const id = deps.sql.transaction(() => {
    const created = insertBroadcast(deps.sql, { ...input, recipients, createdBy: actor?.username ?? null }, now);
    recordAudit(
      deps.sql,
      {
        staffUserId: actor?.id ?? null,
        username: actor?.username ?? null,
        action: "broadcast.create",
        targetType: "broadcast",
        targetId: created,
        detail: `recipients=${recipients} audience=${JSON.stringify(input.audience)}`,
      },
      now,
    );
    return created;
  })();
  const queued = await enqueueRecipients(deps, id);
  return { id, recipients: queued ?? recipients };
}

/** Queues all recipients of a 'queued' broadcast in chunks; safe to run again after a crash. */
async function enqueueRecipients(deps: BroadcastDeps, id: string): Promise<number | null> {
  const broadcast = getBroadcast(deps.sql, id);
  if (broadcast?.status !== "queued") return null;
  let after = "";
  for (;;) {
    const chunk = enqueueBroadcastChunk(deps.sql, broadcast, channelsOf(deps), after, CHUNK, deps.clock.now());
    if (chunk.queued) deps.dispatcher.kick();
    if (!chunk.last) break;
    after = chunk.last;
    await yieldToEventLoop();
  }
  finishEnqueue(deps.sql, id, deps.clock.now());
  deps.dispatcher.kick();
  return getBroadcast(deps.sql, id)?.recipients ?? null;
}

/** At start-up: finishes queueing (or cancelling) broadcasts a restart interrupted. */
export async function resumeBroadcasts(deps: BroadcastDeps): Promise<void> {
  for (const b of queuedBroadcasts(deps.sql)) {
    deps.log.info({ broadcast: b.id }, "resuming an interrupted broadcast");
    await enqueueRecipients(deps, b.id);
  }
  for (const id of cancelledWithPending(deps.sql)) await cancelRemaining(deps, id);
}

/**
 * Cancels a broadcast: nothing more is queued and every delivery not yet sent is cancelled
 * (a send already in flight finishes). Returns the progress, or null for an unknown id.
 */
export async function cancelBroadcast(
  deps: BroadcastDeps,
  id: string,
  actor: StaffActor | null,
): Promise<BroadcastProgress | null> {
  const now = deps.clock.now();
  if (!getBroadcast(deps.sql, id)) return null;
  const changed = deps.sql.transaction(() => {
    const ok = markBroadcastCancelled(deps.sql, id, now);
    if (ok) {
      recordAudit(
        deps.sql,
        {
          staffUserId: actor?.id ?? null,
          username: actor?.username ?? null,
          action: "broadcast.cancel",
          targetType: "broadcast",
          targetId: id,
        },
        now,
      );
    }
    return ok;
  })();
  // The dispatcher already drops anything of a cancelled broadcast it picks up; marking the rows
  // (a million take ~15 s here) continues in the background after the first chunk.
  if (changed && cancelPendingChunk(deps.sql, id, CANCEL_CHUNK, deps.clock.now()) === CANCEL_CHUNK) {
    void cancelRemaining(deps, id).catch((err) => deps.log.error({ err, broadcast: id }, "cancelling a broadcast failed"));
  }
  return broadcastProgress(deps.sql, id, deps.clock.now());
}

const CANCEL_CHUNK = 10_000;

async function cancelRemaining(deps: BroadcastDeps, id: string): Promise<void> {
  // Shutting down mid-way is fine: the dispatcher drops what is left, and start-up finishes the job.
  while (deps.sql.open && cancelPendingChunk(deps.sql, id, CANCEL_CHUNK, deps.clock.now()) > 0) await yieldToEventLoop();
}
