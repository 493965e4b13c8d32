import { numberedChoices } from "../../dialog/channel.ts";
import type { AwaitingType, MessageKind, Reply, TurnResult } from "../../domain/types.ts";

/** Slot types that are personal data: never asked for in a group chat. */
const PERSONAL: ReadonlySet<AwaitingType> = new Set(["name", "id_number", "phone", "address"]);

/** What the assistant says in a group instead of asking for personal data there. */
export const GROUP_PRIVATE_INVITE =
  "这件事需要填写个人信息，为了保护您的隐私，请不要在群里发哦 🙏\n" + "请点我的头像加好友，私聊我继续办理，我一步一步帮您。";

/** What the transcript shows for a message that is not text (the core only needs the kind). */
export const KIND_PLACEHOLDER: Record<Exclude<MessageKind, "text">, string> = {
  image: "[图片]",
  voice: "[语音]",
  video: "[视频]",
  file: "[文件]",
  location: "[位置]",
  link: "[链接]",
  sticker: "[表情]",
  other: "[其他消息]",
};

/** One reply as WeChat text: the answer, its sources, and choices as a numbered list. */
export function renderReply(reply: Reply): string {
  let text = reply.text;
  const sources = (reply.sources ?? []).filter((s) => !text.includes(s.title));
  if (sources.length)
    text += `\n\n来源：${sources.map((s) => (s.title.startsWith("《") ? s.title : `《${s.title}》`)).join("、")}`;
  return numberedChoices(text, reply.choices);
}

/** The texts to send for a turn: in a group, a question for personal data becomes an invitation. */
export function renderTurn(result: TurnResult, inGroup: boolean): string[] {
  if (inGroup && result.awaiting && PERSONAL.has(result.awaiting.type)) return [GROUP_PRIVATE_INVITE];
  return result.replies.map(renderReply);
}
