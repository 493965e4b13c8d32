import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Logger } from "pino";
import type { Audience, BroadcastProgress, BroadcastRepo } from "../data/broadcasts.ts";
import type { ChannelAdapter } from "../dialog/channel.ts";
import type { ChannelId } from "../domain/types.ts";
import type { Clock } from "../lib/clock.ts";

export interface BroadcastDeps {
  broadcasts: BroadcastRepo;
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
export function countRecipients(deps: BroadcastDeps, audience: Audience): Promise<number> {
  return deps.broadcasts.countAudience(audience, channelsOf(deps));
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
  const recipients = await countRecipients(deps, input.audience);
  const id = await deps.broadcasts.create({ ...input, recipients, createdBy: actor?.username ?? null }, now, (created) => ({
    staffUserId: actor?.id ?? null,
    username: actor?.username ?? null,
    action: "broadcast.create",
    targetType: "broadcast",
    targetId: created,
    detail: `recipients=${recipients} audience=${JSON.stringify(input.audience)}`,
  }));
  const queued = await enqueueRecipients(deps, id);
  return { id, recipients: queued ?? recipients };
}

/** Queues all recipients of a 'queued' broadcast in chunks; safe to run again after a crash. */
async function enqueueRecipients(deps: BroadcastDeps, id: string): Promise<number | null> {
  const broadcast = await deps.broadcasts.get(id);
  if (broadcast?.status !== "queued") return null;
  let after = "";
  for (;;) {
    const chunk = await deps.broadcasts.enqueueChunk(broadcast, channelsOf(deps), after, CHUNK, deps.clock.now());
    if (chunk.queued) deps.dispatcher.kick();
    if (!chunk.last) break;
    after = chunk.last;
    await yieldToEventLoop();
  }
  await deps.broadcasts.finishEnqueue(id, deps.clock.now());
  deps.dispatcher.kick();
  return (await deps.broadcasts.get(id))?.recipients ?? null;
}

/** At start-up: finishes queueing (or cancelling) broadcasts a restart interrupted. */
export async function resumeBroadcasts(deps: BroadcastDeps): Promise<void> {
  for (const b of await deps.broadcasts.queued()) {
    deps.log.info({ broadcast: b.id }, "resuming an interrupted broadcast");
    await enqueueRecipients(deps, b.id);
  }
  for (const id of await deps.broadcasts.cancelledWithPending()) await cancelRemaining(deps, id);
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
  if (!(await deps.broadcasts.get(id))) return null;
  const changed = await deps.broadcasts.markCancelled(id, now, {
    staffUserId: actor?.id ?? null,
    username: actor?.username ?? null,
    action: "broadcast.cancel",
    targetType: "broadcast",
    targetId: id,
  });
  // Dispatchers stop at once: a delivery is handed to its channel only while its broadcast is
  // not cancelled. Marking the rows (a million take a while) continues in the background after
  // the first chunk.
  if (changed && (await deps.broadcasts.cancelChunk(id, CANCEL_CHUNK, deps.clock.now())) === CANCEL_CHUNK) {
    void cancelRemaining(deps, id).catch((err) => deps.log.error({ err, broadcast: id }, "cancelling a broadcast failed"));
  }
  return deps.broadcasts.progress(id, deps.clock.now());
}

const CANCEL_CHUNK = 10_000;

async function cancelRemaining(deps: BroadcastDeps, id: string): Promise<void> {
  // Shutting down mid-way is fine: the dispatcher drops what is left, and start-up finishes the job.
  while ((await deps.broadcasts.cancelChunk(id, CANCEL_CHUNK, deps.clock.now())) > 0) await yieldToEventLoop();
}
