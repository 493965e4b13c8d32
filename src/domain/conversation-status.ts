import type { ConversationStatus } from "./types.ts";

/** Allowed conversation status transitions; everything else is a bug or a stale request. */
const transitions: Record<ConversationStatus, readonly ConversationStatus[]> = {
  bot: ["escalated", "staff", "closed"],
  escalated: ["staff", "bot", "closed"],
  staff: ["bot", "escalated", "closed"],
  closed: ["bot"],
};

export function canTransition(from: ConversationStatus, to: ConversationStatus): boolean {
  return from === to || transitions[from].includes(to);
}
