import { detectIntent } from "../../nlu/intents.ts";
import type { DialogOutcome, DialogTurn, Skill } from "../dialog.ts";
import type { Reply } from "../../domain/types.ts";
import { type FlowMenuItem, replies } from "../wording.ts";

const ack: Reply = { intent: "ack", text: "好的 😊 还有什么想问的，直接告诉我就行。" };
const bye: Reply = { intent: "bye", text: "好的，祝您在宁波一切顺利！有需要随时来找我 👋" };
const unhelpful: Reply = {
  intent: "feedback",
  text: "抱歉没帮上忙 🙏 您可以换个说法再问，或者说“转人工”找工作人员。",
};
const handoffOffer: Reply = {
  intent: "handoff_offer",
  text: "需要我帮您转给工作人员吗？回复“好”就行。",
  choices: ["好", "不用了"],
};

/**
 * Greetings, thanks, "who are you", help, acknowledgements and goodbyes, recognised by the NLU.
 * A request for a person that the handoff skill did not take becomes an offer; the guided
 * flows' triggers are left to the flows skill (or, without it, to the catalogue answer). The
 * greeting and help name the flows loaded from intents/.
 */
export const smallTalkSkill = (flows?: readonly FlowMenuItem[]): Skill => ({
  name: "small-talk",
  handle(turn: DialogTurn): DialogOutcome | null {
    if (turn.kind !== "text") return null;
    const match = detectIntent(turn.text);
    if (!match) return null;
    const calm = { ...turn.state, misunderstood: 0 };
    const say = (reply: Reply): DialogOutcome => ({ intent: reply.intent, replies: [reply], state: calm });
    switch (match.intent) {
      case "greeting":
        return say(replies.greeting(flows));
      case "help":
        return say(replies.help(flows));
      case "thanks":
        return say(replies.thanks());
      case "identity":
        return say(replies.identity());
      case "ack":
        return say(ack);
      case "bye":
        return say(bye);
      // Feedback right after an answer is recorded by the feedback skill; here there is nothing to rate.
      case "feedback:helpful":
        return say(replies.thanks());
      case "feedback:unhelpful":
        return say(unhelpful);
      case "handoff":
        return {
          intent: "handoff_offer",
          replies: [handoffOffer],
          state: { ...calm, offer: "handoff", offerReason: "requested" },
        };
      default:
        return null;
    }
  },
});
