import { Dialog } from "./dialog.ts";
import { fallbackSkill } from "./skills/fallback.ts";
import { guardsSkill } from "./skills/guards.ts";
import { smallTalkSkill } from "./skills/small-talk.ts";

/** The skills in the order they get a chance at each turn; the fallback is always last. */
export function buildDialog(): Dialog {
  return new Dialog([guardsSkill, smallTalkSkill, fallbackSkill]);
}
