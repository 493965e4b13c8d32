import type { PermitRepo } from "../data/permits.ts";
import type { Dialog, DialogOutcome, DialogTurn, Skill } from "../dialog/dialog.ts";
import type { ConversationState } from "../dialog/state.ts";
import type { Reply } from "../domain/types.ts";
import { checkDate, checkPermitOrId } from "../flows/validators.ts";
import { hashIdNumber } from "../lib/crypto.ts";
import { addYear, chineseDate, daysBetween, localDate } from "../domain/calendar.ts";
import { endorsementRules, permitLabel } from "./wording.ts";

export interface ReminderSkillDeps {
  permits: PermitRepo;
  hashKey: Buffer;
  timeZone: string;
}

type Setup = NonNullable<ConversationState["reminderSetup"]>;

const OPT_OUT = /^(退订|取消|关闭|停止|关掉|不要|别发)(签注)?提醒(了)?$/;
const OPT_IN = /^(订阅|开启|打开|恢复|重新订阅|继续)(签注)?提醒$/;

/** Asking for endorsement reminders: both words, no "stop" word ("签注到期提醒我", "帮我设置签注提醒"). */
const START = /签注.{0,8}提醒|提醒.{0,6}签注/;
const NOT_START = /退订|取消|关闭|停止|不要|别再|不用/;
const CANCEL = /^(取消|算了|不用了|不要了|退出|不登记了)$/;
const YES = /^(同意|好|好的|可以|行|是|是的|嗯|ok|yes)$/i;
const NO = /^(不同意|不|不要|不行|不用|no)$/i;
/** A setup left untouched this long is forgotten rather than grabbing an unrelated message. */
const SETUP_TTL_MS = 30 * 60 * 1000;
/** A "last endorsement" older than this is almost certainly not the latest one. */
const MAX_PAST_DAYS = 3 * 366;

const CONSENT_CHOICES = ["同意", "不同意"];
const clean = (text: string) => text.replace(/[\s。.!！~～,，]/g, "");

/**
 * Endorsement reminders in chat: "退订提醒" / "订阅提醒" switch them off and on at once, and
 * "提醒我签注" registers a permit (consent, permit or ID number, last endorsement or issue date →
 * due date one year later). Waits aside while a guided flow is active.
 */
export function reminderSkill(deps: ReminderSkillDeps): Skill {
  const outcome = (
    turn: DialogTurn,
    intent: string,
    reply: Reply,
    setup: Setup | undefined,
    extra: Partial<DialogOutcome> = {},
  ) => {
    const state: ConversationState = { ...turn.state, misunderstood: 0, reminderSetup: setup };
    return { intent, replies: [reply], state, ...extra } satisfies DialogOutcome;
  };

  const askNumber = (turn: DialogTurn, setup: Setup, prefix = ""): DialogOutcome =>
    outcome(
      turn,
      "reminder_setup",
      { intent: "reminder_setup", text: `${prefix}请告诉我您的居住证号码；不方便找的话，发18位身份证号码也可以。` },
      { ...setup, step: "number" },
      { awaiting: { slot: "permitOrId", type: "text" } },
    );

  const askDate = (turn: DialogTurn, setup: Setup, prefix = ""): DialogOutcome =>
    outcome(
      turn,
      "reminder_setup",
      {
        intent: "reminder_setup",
        text: `${prefix}最近一次签注是哪天？还没签注过的话，告诉我办证（发证）的日期就行，比如“2025-03-15”或“2025年3月15日”。`,
      },
      { ...setup, step: "date" },
      { awaiting: { slot: "lastEndorsed", type: "date" } },
    );

  const askConsent = (turn: DialogTurn, setup: Setup, prefix = ""): DialogOutcome =>
    outcome(
      turn,
      "reminder_setup",
      {
        intent: "reminder_setup",
        text:
          `${prefix}好的！我可以在居住证签注${endorsementRules.stages}提醒您，过期了也会告诉您怎么补办。\n` +
          "为此我需要保存您的居住证号码（如果发的是身份证号，只保存加密后的校验值，不保存号码本身）和签注截止日期，" +
          "只用来给您发签注提醒；随时回复“退订提醒”就不再发送。\n您同意吗？",
        choices: CONSENT_CHOICES,
      },
      { ...setup, step: "consent" },
      { awaiting: { slot: "reminderConsent", type: "consent", choices: CONSENT_CHOICES } },
    );

  const finish = async (turn: DialogTurn, setup: Setup, lastDate: string): Promise<DialogOutcome> => {
    const endorseBy = addYear(lastDate);
    const key = setup.idNumberHash ? { idNumberHash: setup.idNumberHash } : { permitNumber: setup.permitNumber ?? "" };
    const existing = await deps.permits.findForChat(key);
    if (existing && existing.residentId !== turn.residentId) {
      return outcome(
        turn,
        "reminder_taken",
        {
          intent: "reminder_taken",
          text:
            "这个证件已经在另一个账号上登记过签注提醒了，为了保护持证人的信息，我不能在这里重复登记。" +
            "如果这是您本人的证件，可以回复“转人工”，请工作人员帮您处理。",
        },
        undefined,
      );
    }
    const today = localDate(turn.now, deps.timeZone);
    const daysLeft = daysBetween(today, endorseBy);
    const label = setup.idNumberMasked ? `身份证号 ${setup.idNumberMasked} 对应的居住证` : permitLabel(setup.permitNumber ?? "");
    const date = chineseDate(endorseBy);
    const wasOptedOut = turn.resident.remindersOptOut;
    let text: string;
    if (daysLeft < 0) {
      text =
        `已登记。按您说的日期，${label}的签注截止日是 ${date}，已经过了。\n` +
        `${endorsementRules.late}。` +
        "请尽快补办：回复“我要签注”，我带您在线办理。\n如果日期记错了，再说一次“提醒我签注”重新登记就行。";
    } else if (daysLeft <= 30) {
      text =
        `登记好了！${label}的签注截止日是 ${date}，现在已经可以办理签注了——回复“我要签注”，我带您在线办理。\n` +
        "在截止日前我还会再提醒您。";
    } else {
      text = `登记好了！${label}的签注截止日是 ${date}。我会在${endorsementRules.stages}提醒您，请留意消息。`;
    }
    if (wasOptedOut) text += "\n（您之前退订过提醒，现在已经为您重新打开。）";
    text += "\n不想再收到提醒，随时回复“退订提醒”。";
    return outcome(turn, "reminder_registered", { intent: "reminder_registered", text }, undefined, {
      ...(wasOptedOut ? { resident: { remindersOptOut: false } } : {}),
      effects: [{ type: "permit.registerFromChat", ...key, holderName: "", endorseBy }],
    });
  };

  const continueSetup = async (turn: DialogTurn, setup: Setup): Promise<DialogOutcome | null> => {
    const text = clean(turn.text);
    if (CANCEL.test(text)) {
      return outcome(
        turn,
        "reminder_setup_cancelled",
        { intent: "reminder_setup_cancelled", text: "好的，这次先不登记签注提醒了。需要时说“提醒我签注”就行。" },
        undefined,
      );
    }
    const ctx = { now: turn.now, timeZone: deps.timeZone };
    const retry = (reason: string, ask: (t: DialogTurn, s: Setup, p: string) => DialogOutcome): DialogOutcome => {
      if (setup.attempts >= 2) {
        return outcome(
          turn,
          "reminder_setup_gave_up",
          {
            intent: "reminder_setup_gave_up",
            text: `${reason}\n这次先不登记了。准备好了再说“提醒我签注”，或者回复“转人工”请工作人员帮忙。`,
          },
          undefined,
        );
      }
      return ask(turn, { ...setup, attempts: setup.attempts + 1, updatedAt: turn.now }, `${reason}\n`);
    };
    switch (setup.step) {
      case "consent":
        if (YES.test(text)) return askNumber(turn, { ...setup, attempts: 0, updatedAt: turn.now }, "谢谢！");
        if (NO.test(text)) {
          return outcome(
            turn,
            "reminder_consent_declined",
            {
              intent: "reminder_consent_declined",
              text: `好的，不登记也没关系。签注要在${endorsementRules.when}办，记得按时去办哦。`,
            },
            undefined,
          );
        }
        // A question about the consent ("保存多久？") or anything else: answered by the other skills.
        return null;
      case "number": {
        // Without a single digit this is not an answer but another question or request.
        if (!/[0-9０-９]/.test(text)) return null;
        const checked = checkPermitOrId(turn.text, ctx);
        if (!checked.ok) return retry(checked.reason, askNumber);
        const next: Setup = checked.secret
          ? {
              ...setup,
              idNumberHash: hashIdNumber(deps.hashKey, checked.secret),
              idNumberMasked: checked.value,
              permitNumber: undefined,
            }
          : { ...setup, permitNumber: checked.value, idNumberHash: undefined, idNumberMasked: undefined };
        return askDate(turn, { ...next, attempts: 0, updatedAt: turn.now }, "收到。");
      }
      case "date": {
        if (!/[0-9０-９〇零一二两三四五六七八九十今昨前天]/.test(text)) return null;
        const checked = checkDate(turn.text, { notFuture: true }, ctx);
        if (!checked.ok) return retry(`${checked.reason}请按“2025-03-15”这样的格式再说一次。`, askDate);
        if (daysBetween(checked.value, localDate(turn.now, deps.timeZone)) > MAX_PAST_DAYS) {
          return retry("这个日期有点久了。居住证每年签注一次，请告诉我最近一次签注的日期。", askDate);
        }
        return finish(turn, setup, checked.value);
      }
    }
  };

  /**
   * Something else in the middle of the setup ("为什么要身份证号？"): the other skills answer it and
   * the setup keeps waiting, with a reminder of what it waits for — unless the answer moved the
   * conversation on (a guided flow started, a person took over), which ends the setup.
   */
  const digress = async (turn: DialogTurn, setup: Setup, dialog: Dialog): Promise<DialogOutcome> => {
    const other = await dialog.respondTo({ ...turn, state: { ...turn.state, reminderSetup: undefined } }, "reminders");
    const movedOn = Boolean(other.state.flow) || (other.status !== undefined && other.status !== turn.status);
    if (movedOn) return other;
    const waitingFor =
      setup.step === "consent"
        ? "您是否同意"
        : setup.step === "number"
          ? "您的居住证号码或身份证号码"
          : "最近一次签注（或办证）的日期";
    return {
      ...other,
      replies: [
        ...other.replies,
        { intent: "reminder_setup", text: `（签注提醒还没登记完：还在等${waitingFor}。说“取消”可以不登记。）` },
      ],
      state: { ...other.state, reminderSetup: { ...setup, updatedAt: turn.now } },
      awaiting:
        setup.step === "consent"
          ? { slot: "reminderConsent", type: "consent", choices: CONSENT_CHOICES }
          : setup.step === "number"
            ? { slot: "permitOrId", type: "text" }
            : { slot: "lastEndorsed", type: "date" },
    };
  };

  return {
    name: "reminders",
    handle(turn: DialogTurn, dialog: Dialog): Promise<DialogOutcome | null> | null {
      // Most turns are not this skill's: said at once, without a promise (this runs every turn).
      const text = clean(turn.text);
      const mine =
        OPT_OUT.test(text) || OPT_IN.test(text) || (!turn.state.flow && (turn.state.reminderSetup || START.test(text)));
      return mine ? handleMine(turn, dialog, text) : null;
    },
  };

  async function handleMine(turn: DialogTurn, dialog: Dialog, text: string): Promise<DialogOutcome | null> {
    if (OPT_OUT.test(text)) {
      return outcome(
        turn,
        "reminders_opt_out",
        {
          intent: "reminders_opt_out",
          text: "好的，已为您退订签注提醒，以后不再发送。想重新收到提醒，随时回复“订阅提醒”。",
        },
        undefined,
        { resident: { remindersOptOut: true } },
      );
    }
    // Staff have the conversation: opting out is honoured at once (above), the rest waits.
    if (turn.status === "escalated" || turn.status === "staff") return null;
    if (OPT_IN.test(text)) {
      const registered = (await deps.permits.countForResident(turn.residentId)) > 0;
      if (!registered && !turn.state.flow && !turn.inGroup) {
        // Nothing to remind about yet: register a permit straight away.
        const setup = askConsent(
          turn,
          { step: "consent", attempts: 0, updatedAt: turn.now },
          "已为您打开签注提醒。不过我这里还没有您的居住证信息。\n",
        );
        return { ...setup, intent: "reminders_opt_in", resident: { remindersOptOut: false } };
      }
      return outcome(
        turn,
        "reminders_opt_in",
        {
          intent: "reminders_opt_in",
          text: registered
            ? `好的，已为您打开签注提醒，签注${endorsementRules.stages}我会提醒您。`
            : "好的，已为您打开签注提醒。想登记居住证，私聊我说“提醒我签注”就行。",
        },
        undefined,
        { resident: { remindersOptOut: false } },
      );
    }
    // A guided flow in progress owns the conversation.
    if (turn.state.flow) return null;
    const setup = turn.state.reminderSetup;
    if (setup && turn.now - setup.updatedAt < SETUP_TTL_MS) {
      const result = await continueSetup(turn, setup);
      if (result) return result;
      if (!START.test(text)) return digress(turn, setup, dialog);
    }
    if (START.test(text) && !NOT_START.test(text)) {
      if (turn.inGroup) {
        return outcome(
          turn,
          "reminder_setup",
          { intent: "reminder_setup", text: "登记签注提醒要用到证件号码，请私聊我说“提醒我签注”，不要在群里发证件信息哦。" },
          undefined,
        );
      }
      return askConsent(turn, { step: "consent", attempts: 0, updatedAt: turn.now });
    }
    return null;
  }
}
