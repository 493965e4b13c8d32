import type { ReminderStage } from "../domain/calendar.ts";
import { chineseDate } from "../domain/calendar.ts";

/** How a permit is named to its holder: never the full number, only enough to recognise it. */
export function permitLabel(permitNumber: string): string {
  if (permitNumber.startsWith("ID-")) return "您登记的居住证";
  return `您的居住证（编号尾号 ${permitNumber.slice(-4)}）`;
}

/**
 * The endorsement rules of 《居住证暂行条例》第十条, worded once: the reminders, the reminder
 * chat and the catalogue entry (knowledge/permit.endorsement.md) say them the same way
 * (tests/reminders/wording.test.ts checks the entry against these).
 */
export const endorsementRules = {
  /** When: the month before each full year. */
  when: "每满一年之前的一个月内",
  /** Where: the police station or the community service body it entrusted. */
  where: "居住地的派出所或它委托的社区服务机构",
  /** What happens when late. */
  late: "过了时间没签注，居住证会暂停使用；补办签注后恢复使用，但连续居住的年限从补签那天起重新算",
  /** When the reminders go. */
  stages: "截止前 30 天、7 天和 1 天",
} as const;

const HOW_TO = `回复“我要签注”，我带您在线办理；也可以带上居住证和身份证，到${endorsementRules.where}办理。`;
const STOP = "（不想再收到签注提醒，回复“退订提醒”即可。）";

/** The reminder a resident receives for a stage. Dates are absolute: a held message stays true. */
export function reminderText(stage: ReminderStage, p: { holderName: string; permitNumber: string; endorseBy: string }): string {
  const hello = p.holderName ? `${p.holderName}，您好！` : "您好！";
  const label = permitLabel(p.permitNumber);
  const date = chineseDate(p.endorseBy);
  switch (stage) {
    case "d30":
      return (
        `【居住证签注提醒】${hello}${label}需要在 ${date} 前办理签注，还有一个月左右。` +
        `现在就可以办了，早办早安心。\n${HOW_TO}\n${STOP}`
      );
    case "d7":
      return `【居住证签注提醒】${hello}${label}的签注截止日是 ${date}，只剩一周左右了，请尽快办理。\n${HOW_TO}\n${STOP}`;
    case "d1":
      return (
        `【居住证签注提醒】${hello}${label}的签注截止日是 ${date}，就在眼前了，请务必在这天之前办好。` +
        `${endorsementRules.late}。\n${HOW_TO}\n${STOP}`
      );
    case "overdue":
      return (
        `【居住证签注提醒】${hello}${label}的签注截止日 ${date} 已经过了，还没有签注。\n` +
        `${endorsementRules.late}，可能影响积分、孩子上学等看居住年限的事。\n` +
        `现在补办还来得及：${HOW_TO}\n${STOP}`
      );
  }
}
