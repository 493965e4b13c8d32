import type { LoadedFlow } from "./loader.ts";

/** What every guided flow says around its own prompts, in one place so the tone stays the same. */
export const CONSENT_CHOICES = ["同意", "不同意"];
export const CONFIRM_CHOICES = ["确认提交", "修改", "取消"];
export const RESUME_CHOICES = ["继续办理", "重新开始"];
export const HANDOFF_CHOICE = "转人工";
export const YES_NO_CHOICES = ["是", "不是"];

export const flowWording = {
  consent(flow: LoadedFlow): string {
    const c = flow.consent;
    return (
      `好的，我来帮您在线办理「${flow.title}」。开始前先说明一下您的个人信息怎么用：\n` +
      `· 收集什么：${c.collected}\n` +
      `· 用来做什么：${c.purpose}\n` +
      `· 保存多久：${c.retention}\n` +
      "· 怎么撤回：办理中随时回复“取消”就不再收集；提交后可以回复“撤回同意”或“删除我的信息”，工作人员一般在15个工作日内处理\n" +
      "身份证号会加密保存，显示时只露出部分数字。\n" +
      "您同意吗？回复“同意”开始办理；回复“不同意”，我不会收集任何信息。"
    );
  },
  consentAgain: "请回复“同意”开始办理，或者回复“不同意”。",
  /** After the consent text, when the resident already typed some answers. */
  pendingKept: "您刚才发来的信息我先记着：您同意后直接用，不用再填一遍；不同意的话会马上丢弃。",
  yesNoAgain: "请回复“是”或“不是”；也可以直接发正确的内容。",
  pickAgain: "请从下面选一个（回复数字就行），都不对的话直接发正确的内容。",
  noneOfThese: "都不是",
  /** A value read from a longer message that the resident did not confirm. */
  dropped: "好的，那这一项我们重新填。",
  /** A change read from a longer message that the resident did not want. */
  kept: "好的，这一项还按原来的，不改。",
  declined(flow: LoadedFlow): string {
    return `好的，没问题，我不会收集您的信息。需要办理时再说“${flow.offer.say}”就行；也可以到居住地的社区服务窗口办理。`;
  },
  cancelled(flow: LoadedFlow): string {
    return `好的，已取消「${flow.title}」，刚才填的信息不会保存。以后需要，再说“${flow.offer.say}”就行 🙂`;
  },
  groupInvite(flow: LoadedFlow): string {
    return `为了保护您的个人信息，「${flow.title}」请私聊我办理（点我的头像发消息），在私聊里说“${flow.offer.say}”就可以开始。`;
  },
  groupContinue(flow: LoadedFlow): string {
    return `您的「${flow.title}」还没办完。为了保护您的个人信息，请到和我的私聊里接着办，群里就不填了。`;
  },
  groupPrivate: "为了保护您的个人信息，这个请私聊我（点我的头像发消息）再说一次。",
  stale(flow: LoadedFlow, filled: number): string {
    return `欢迎回来！您上次的「${flow.title}」还没办完${filled ? `（已经填了${filled}项）` : ""}。要接着办，还是重新开始？`;
  },
  resumeAgain: "请回复“继续办理”或者“重新开始”。",
  resumed: "好的，我们接着办。",
  restarted: "好的，我们从头开始。",
  backAtStart: "已经是第一项了。",
  back: "好的，回到上一步。",
  editing(label: string, current: string | null): string {
    return current ? `好的，我们改一下${label}（现在填的是：${current}）。` : `好的，我们改一下${label}。`;
  },
  edited: "好的，已经改好了。",
  /** A question midway that the catalogue cannot answer (it is recorded for staff). */
  unansweredMidway(): string {
    return "这个问题我暂时答不上来，已经记下来请工作人员补充 🙏 办完后也可以说“转人工”问工作人员。";
  },
  /** Appended after an answer to a question asked midway. */
  backToFlow(flow: LoadedFlow): string {
    return `我们接着办「${flow.title}」：`;
  },
  otherFlow(active: LoadedFlow, wanted: LoadedFlow): string {
    return `您正在办理「${active.title}」。想先办「${wanted.title}」的话，请先回复“取消”，再说“${wanted.offer.say}”。`;
  },
  tooManyAttempts(reprompt: string, example: string): string {
    return (
      "这一项好像不太好填，没关系，我说明一下格式：\n" +
      `${reprompt}\n例如：${example}\n` +
      "如果还是不方便，可以回复“转人工”，请工作人员帮您。"
    );
  },
  summary(flow: LoadedFlow, lines: string[]): string {
    return (
      `请核对一下您要提交的「${flow.title}」信息：\n${lines.map((l) => `· ${l}`).join("\n")}\n` +
      "信息都对的话请回复“确认提交”；要改哪一项回复“修改”；不办了回复“取消”。"
    );
  },
  confirmAgain: "请回复“确认提交”、“修改”或“取消”。",
  whichField: "要修改哪一项？回复数字或名称都可以。",
  whichFieldAgain: "没找到这一项，请从下面选一项要修改的内容。",
  skipped: "（未填写）",
  secretLost: "抱歉，刚才的身份证号没能保存好，麻烦再输入一次。",
  nonTextInFlow: "我暂时看不了图片、语音或文件 🙏 请直接打字回复。",
};
