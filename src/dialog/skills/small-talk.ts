import type { DialogOutcome, DialogTurn, Skill } from "../dialog.ts";
import { replies } from "../wording.ts";

const patterns: [RegExp, () => ReturnType<typeof replies.greeting>][] = [
  [
    /^(你好|您好|嗨|哈喽|hello|hi|hey|在吗|在不在|有人吗|早上好|上午好|下午好|晚上好|侬好|早|开始|菜单|menu)[呀啊吖呢哦~～!！。.,，?？\s]*$/i,
    replies.greeting,
  ],
  [/^(帮助|help|怎么用|你能做什么|你会什么|能干什么|有什么功能|你能帮我做什么|功能)[呀啊呢吗?？!！。\s]*$/i, replies.help],
  [/^(谢谢|多谢|谢了|感谢|thanks|thank you|thx|好的谢谢|谢谢你|谢谢您|麻烦了|辛苦了)[呀啊啦了哈!！。.~～\s]*$/i, replies.thanks],
  [/^(你是谁|你是什么|你是机器人吗|你是真人吗|你叫什么|who are you)[呀啊呢?？!！。\s]*$/i, replies.identity],
];

/** Greetings, help, thanks and "who are you". */
export const smallTalkSkill: Skill = {
  name: "small-talk",
  handle(turn: DialogTurn): DialogOutcome | null {
    for (const [re, reply] of patterns) {
      if (re.test(turn.text)) return { intent: reply().intent, replies: [reply()], state: { ...turn.state, misunderstood: 0 } };
    }
    return null;
  },
};
