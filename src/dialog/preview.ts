/**
 * What a resident would be answered, without a resident: the knowledge editor's preview runs the
 * real Dialog on a turn of a new conversation (nothing is stored: the outcome's writes are
 * dropped), with the catalogue it is given in place of the published one.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Catalogue } from "../knowledge/index.ts";
import type { Reply } from "../domain/types.ts";
import type { Dialog, DialogTurn } from "./dialog.ts";

/** The catalogue of a preview in progress (unset: the published one answers). */
const previewing = new AsyncLocalStorage<Catalogue>();

/** The catalogue a turn reads: the preview's while one runs, else the published one. */
export function catalogueReader(published: () => Catalogue): () => Catalogue {
  return () => previewing.getStore() ?? published();
}

/** A first message from a resident nobody knows yet (or a follow-up on `topic`, an entry id). */
export function previewTurn(question: string, now: number, topic?: string): DialogTurn {
  return {
    now,
    channel: "web",
    userId: "preview",
    residentId: "preview",
    conversationId: "preview",
    text: question.trim(),
    kind: "text",
    inGroup: false,
    status: "bot",
    state: { misunderstood: 0, ...(topic ? { topic: { entries: [topic], parts: ["summary"], at: now } } : {}) },
    resident: { consentAt: null, acceptsNotices: false, remindersOptOut: false, district: null },
    escalatedAt: null,
    lastHoldingAt: null,
  };
}

/** The replies `dialog` gives `turn` when `catalogue` is the one published. */
export async function previewReplies(dialog: Dialog, catalogue: Catalogue, turn: DialogTurn): Promise<Reply[]> {
  const outcome = await previewing.run(catalogue, () => dialog.respond(turn));
  return outcome.replies;
}
