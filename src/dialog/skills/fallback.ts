import type { DialogOutcome, DialogTurn, Skill } from "../dialog.ts";
import { replies } from "../wording.ts";

/** Last in line: a polite "I did not understand" that says what the assistant can do. */
export const fallbackSkill: Skill = {
  name: "fallback",
  handle(turn: DialogTurn): DialogOutcome {
    return {
      intent: "fallback",
      replies: [replies.fallback()],
      state: { ...turn.state, misunderstood: turn.state.misunderstood + 1 },
    };
  },
};
