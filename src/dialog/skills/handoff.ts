import type { Config } from "../../config/config.ts";
import { withinWindow } from "../../staff/office-hours.ts";
import type { Dialog, DialogOutcome, DialogTurn, Skill } from "../dialog.ts";
import type { Reply } from "../../domain/types.ts";

/** One short holding message at most this often while the resident waits for staff. */
export const HOLDING_INTERVAL_MS = 5 * 60 * 1000;

const CANCEL = /^(请)?(取消|不用|不要|不需要)(转)?人工(了|客服|服务)?[吧啦了呀啊。.!！~～\s]*$/;
const REQUEST =
  /(转|找|接|要|叫|联系)(个)?(人工|真人|客服|工作人员)|人工(客服|服务|坐席|处理)|真人(客服|回复)|^(人工|客服|工作人员)[吧呀啊!！。?？\s]*$/;
const YES = /^(好|好的|好啊|好吧|需要|需要的|要|是|是的|可以|嗯|嗯嗯|行|对|ok|转吧|麻烦了|麻烦你了)[呀啊吧的呢了!！。.~～\s]*$/i;
const NO = /^(不|不用|不用了|不需要|不要|算了|先不用|暂时不用|不了)[呀啊吧的呢了!！。.~～\s]*$/;

/** Marks turns this skill already passed down the chain, so a nested respondTo() does not recurse. */
const NESTED = Symbol("handoff.nested");
type MaybeNested = DialogTurn & { [NESTED]?: true };

function hours(config: Config): string {
  return config.OFFICE_HOURS ? `${config.OFFICE_HOURS.from}-${config.OFFICE_HOURS.to}` : "";
}

/** What the resident reads about handoff, in one place. */
export const handoffWording = {
  queued(config: Config, now: number, why?: string): Reply {
    const inHours = withinWindow(now, config.OFFICE_HOURS, config.TZ);
    const span = hours(config);
    const lead = why ? `${why}\n` : "";
    const text = inHours
      ? `${lead}好的，已为您转接工作人员，您现在在排队中，工作人员会按顺序尽快回复您${span ? `（工作时间 ${span}）` : ""}。\n` +
        "等待期间我先不插话。您可以先把想问的事情写清楚发过来，工作人员能看到。不想等了，说“取消转人工”就行。"
      : `${lead}好的，已为您登记转人工。现在不是工作时间${span ? `（工作时间 ${span}）` : ""}，工作人员上班后会第一时间回复您，` +
        "不用重复发送。\n您可以先把想问的事情写清楚发过来，工作人员能看到。不想等了，说“取消转人工”就行。";
    return { intent: "handoff", text, choices: ["取消转人工"] };
  },
  holding(config: Config, now: number, status: "escalated" | "staff"): Reply {
    if (status === "staff") return { intent: "held", text: "您的消息工作人员已经收到，请稍等回复 🙏" };
    const inHours = withinWindow(now, config.OFFICE_HOURS, config.TZ);
    const span = hours(config);
    return {
      intent: "held",
      text: inHours
        ? "您还在排队中，工作人员会尽快回复您，请稍等 🙏"
        : `您的消息已经收到。现在不是工作时间${span ? `（${span}）` : ""}，工作人员上班后会回复您。`,
    };
  },
  cancelled(): Reply {
    return { intent: "handoff_cancel", text: "好的，已取消转人工。接下来由我继续为您服务，有问题直接问我 😊" };
  },
  notQueued(): Reply {
    return { intent: "handoff_cancel", text: "您现在没有在排队等人工。有什么问题直接问我就好 😊" };
  },
  declined(): Reply {
    return { intent: "handoff_declined", text: "好的，那我们继续。还有什么想问的，直接告诉我就行。" };
  },
  misunderstood: "不好意思，我好像一直没弄明白您的意思 🙏",
  /** Told when staff hand the conversation back to the assistant. */
  resumed: "本次人工服务已结束，接下来由甬居助手继续为您服务。还有问题随时问我 😊",
};

/** The escalation itself: queued for staff, the resident told so (and the office hours). */
export function escalate(turn: DialogTurn, config: Config, reason: string, base?: DialogOutcome, why?: string): DialogOutcome {
  return {
    ...(base ?? {}),
    intent: "handoff",
    replies: [handoffWording.queued(config, turn.now, why)],
    state: { ...(base?.state ?? turn.state), offer: undefined, offerReason: undefined, misunderstood: 0 },
    status: "escalated",
    awaiting: undefined,
    conversation: { escalatedAt: turn.now, escalationReason: reason, lastHoldingAt: turn.now, claimedBy: null },
    // A handoff row: the dashboard counts handoffs and their waiting time from it.
    effects: [...(base?.effects ?? []), { type: "handoff.open", reason }],
  };
}

/**
 * Handoff to a person. Runs right after the guards: while staff have the conversation the
 * assistant stays quiet (one short holding message every few minutes at most); otherwise it
 * escalates on an explicit request, an accepted offer, or the second misunderstanding in a row.
 */
export function handoffSkill(config: Config): Skill {
  return {
    name: "handoff",
    async handle(turn: MaybeNested, dialog: Dialog): Promise<DialogOutcome | null> {
      const text = turn.text.trim();
      if (turn.status === "escalated" || turn.status === "staff") {
        if (CANCEL.test(text)) {
          return {
            intent: "handoff_cancel",
            replies: [handoffWording.cancelled()],
            state: { ...turn.state, misunderstood: 0, offer: undefined, offerReason: undefined },
            status: "bot",
            conversation: { escalatedAt: null, escalationReason: null, claimedBy: null, lastHoldingAt: null },
          };
        }
        const due = turn.lastHoldingAt === null || turn.now - turn.lastHoldingAt >= HOLDING_INTERVAL_MS;
        if (!due) return { intent: "held", replies: [], state: turn.state };
        return {
          intent: "held",
          replies: [handoffWording.holding(config, turn.now, turn.status)],
          state: turn.state,
          conversation: { lastHoldingAt: turn.now },
        };
      }

      if (CANCEL.test(text)) return { intent: "handoff_cancel", replies: [handoffWording.notQueued()], state: turn.state };
      if (REQUEST.test(text)) return escalate(turn, config, "requested");

      if (turn.state.offer === "handoff") {
        if (YES.test(text)) return escalate(turn, config, turn.state.offerReason ?? "offer_accepted");
        const cleared = { ...turn.state, offer: undefined, offerReason: undefined };
        if (NO.test(text)) return { intent: "handoff_declined", replies: [handoffWording.declined()], state: cleared };
        // Anything else: the offer lapses and the message is handled as usual.
        turn = { ...turn, state: cleared };
      }

      if (turn[NESTED]) return null;
      const outcome = await dialog.respondTo({ ...turn, [NESTED]: true } as DialogTurn, "handoff");
      // Two misunderstandings in a row: a person takes over rather than a third "I don't understand".
      if (outcome.state.misunderstood >= 2 && outcome.state.misunderstood > turn.state.misunderstood) {
        return escalate(turn, config, "misunderstood", outcome, handoffWording.misunderstood);
      }
      return outcome;
    },
  };
}
