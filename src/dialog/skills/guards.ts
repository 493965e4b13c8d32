import type { DialogOutcome, DialogTurn, Skill } from "../dialog.ts";
import { hasNoWords } from "../../lib/text.ts";
import { replies } from "../wording.ts";

/** Turns with nothing to understand: empty text, emoji only, images, voice, files… */
export const guardsSkill: Skill = {
  name: "guards",
  handle(turn: DialogTurn): DialogOutcome | null {
    if (turn.kind !== "text") return { intent: "non_text", replies: [replies.nonText()], state: turn.state };
    if (turn.text === "") return { intent: "empty", replies: [replies.empty()], state: turn.state };
    if (hasNoWords(turn.text)) return { intent: "no_words", replies: [replies.noWords()], state: turn.state };
    return null;
  },
};
