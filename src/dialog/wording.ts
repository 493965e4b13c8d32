import type { Reply } from "../domain/types.ts";

/** Menu options offered with the greeting and help; each is also what the resident can type. */
export const MENU_CHOICES = ["居住证怎么办", "我要登记", "我要签注", "查进度", "转人工"];

/** A guided flow as the greeting and help name it: its title and the command that starts it. */
export interface FlowMenuItem {
  title: string;
  say: string;
}

/** The flows as the core names them before any are loaded (tests that build a dialog by hand). */
const DEFAULT_FLOWS: FlowMenuItem[] = [
  { title: "居住登记申报", say: "我要登记" },
  { title: "注销居住登记", say: "我要注销登记" },
  { title: "居住证签注", say: "我要签注" },
];

/** Replies the core itself gives, in one place so the tone stays consistent. */
export const replies = {
  greeting(flows: readonly FlowMenuItem[] = DEFAULT_FLOWS): Reply {
    return {
      intent: "greeting",
      text:
        "您好，欢迎来到宁波！我是甬居助手，专门为新宁波人服务 😊\n" +
        "我可以帮您：\n" +
        "· 查政策：居住证、积分、孩子上学、社保、住房、就业培训、欠薪维权等\n" +
        `· 在线办：${flows.map((f) => f.title).join("、")}\n` +
        "· 查进度、设置签注提醒，需要时帮您转人工\n" +
        "直接打字问我就行，比如“孩子在宁波上学要什么条件”。",
      choices: MENU_CHOICES,
    };
  },
  help(flows: readonly FlowMenuItem[] = DEFAULT_FLOWS): Reply {
    return {
      intent: "help",
      text:
        "您可以这样问我：\n" +
        "· “居住证怎么办” “积分怎么算” “外地人能交社保吗”\n" +
        `${flows.map((f) => `· “${f.say}” 在线办理${f.title}\n`).join("")}` +
        "· “查进度” 看申请办到哪了\n" +
        "· “转人工” 找工作人员\n" +
        "办事过程中随时可以说“取消”“上一步”。",
      choices: MENU_CHOICES,
    };
  },
  thanks(): Reply {
    return { intent: "thanks", text: "不客气！还有什么需要，随时问我 🙂" };
  },
  identity(): Reply {
    return {
      intent: "identity",
      text:
        "我是甬居助手，一个自动回答问题的小助手，内容来自宁波市面向新宁波人的公共服务政策。" +
        "我回答不了的，可以说“转人工”找工作人员。",
    };
  },
  fallback(): Reply {
    return {
      intent: "fallback",
      text:
        "不好意思，这个我没太看懂 🙏\n" +
        "您可以换个说法，或者问我居住证、居住登记、积分、孩子上学、社保、住房、就业、欠薪这些方面的事；" +
        "也可以说“转人工”找工作人员。",
      choices: MENU_CHOICES,
    };
  },
  empty(): Reply {
    return { intent: "empty", text: "您好像没有输入内容。想问什么直接打字告诉我就好，比如“居住证怎么办”。" };
  },
  noWords(): Reply {
    return { intent: "no_words", text: "收到 😊 不过我只能看懂文字。想问什么，用文字告诉我就好，比如“居住证怎么续签”。" };
  },
  nonText(): Reply {
    return {
      intent: "non_text",
      text: "我暂时看不了图片、语音、视频或文件 🙏 麻烦您用文字把问题打出来，我马上帮您查。",
    };
  },
  slowDown(): Reply {
    return { intent: "rate_limited", text: "您发得有点快，我跟不上啦 😅 请稍等一分钟再发，我会一条一条回复您。" };
  },
} as const;
