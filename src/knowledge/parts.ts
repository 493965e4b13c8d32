/**
 * What a question asks about an entry: which part (who can apply, what to bring, where, online,
 * cost, how long, deadlines, whom to ask) or the general answer. Read from the wording of the
 * question itself, so it works the same for a full question ("办居住证要带什么") and for a
 * follow-up that names no topic ("那要带什么材料").
 */
import { basicNormalize } from "../nlu/normalize.ts";
import type { Asked, PartKey } from "./schema.ts";

export { type Asked, type PartKey, partKeys } from "./schema.ts";

/** People who might do an errand for the resident, or whom it might also cover. */
const PEOPLE =
  "老婆|老公|爱人|媳妇|丈夫|妻子|家人|家里人|家属|亲戚|朋友|同事|老乡|工友|别人|其他人|孩子|爸爸|妈妈|爸妈|父母|爸|妈|" +
  "爷爷|奶奶|外公|外婆|姥姥|姥爷|公公|婆婆|老人|哥哥|姐姐|弟弟|妹妹|室友|单位|公司|老板|房东|中介|监护人";

/**
 * Cues per part, tried in this order: earlier cues claim their words first, so "网上能办吗" is
 * online (not eligibility), "住多久才能办" is eligibility (not duration) and "几天内要登记" a
 * deadline. Written on basic-normalised text (Simplified, lower case), with the colloquial and
 * dialect forms of the question words.
 */
const CUES: [PartKey, RegExp][] = [
  [
    "online",
    /网上|网页|线上|手机(?!号)|在线|不去窗口|不用去窗口|不跑窗口|不用跑|足不出户|在家(?:就能|能|可以)?办|app|小程序|公众号|网站|网址|链接|入口|浙里办|政务服务网|微信(?!群|号|好友|聊天|转账)|支付宝|软件|客户端|下载|搜索|(?:上|里)(?:面)?搜|(?:哪个|什么|啥)平台|平台上|扫码|二维码|online|website|internet/g,
  ],
  [
    "where",
    /哪里|哪儿|哪块|哪搭|哪边|边度|在哪(?![个些种类样])|去哪|上哪|到哪|哪(?:办|交|领|弄|申请|报名|投诉|打听)|啥地方|什么地方|哪个(?:地方|部门|单位|窗口|机构|派出所|街道|社区|医院)|哪家|地址|地点|办事大厅|(?:去|到|在)[^，,。；;？?！!\s]{1,8}还是(?:去|到|在)?[^，,。；;？?！!\s]{1,8}|怎么换|换证|换领|补办|补领|丢了|丢失|遗失|弄丢|损坏|坏了|where|which office/g,
  ],
  [
    "prepare",
    /带什么|带啥|带哪些|要带|带上|带齐|(?:什么|哪些|啥|要|需要|准备)(?:材料|证件|资料|东西|证明)|材料|准备|documents?|bring|paperwork/g,
  ],
  [
    "cost",
    /多少钱|几块钱|要钱|花钱|收费|费用|免费|交钱|付钱|给钱|贵不贵|价格|要不要钱|(?:拿|领|发|补|赔|交|缴|付|扣)多少|报销|(?:补贴|补助|待遇)(?:多少|标准)|有(?:没有)?(?:补贴|补助)|多少(?:元|块)|how much|cost|fees?|free|price/g,
  ],
  ["eligibility", /住多久|住满|满几年|住了多久|住几年|居住多久|居住时间|居住年限|住够|住半年/g],
  [
    "deadline",
    /期限|时限|截止|最晚|最迟|过期|逾期|晚了|迟了|来不及|来得及|赶得上|赶不上|没赶上|错过|才想起|补签|超时|忘了|忘记|没有?按时|没有?及时|时效|作废|失效|不领就|会不会没|就没了|多久不(?:去)?(?:领|办|签)|时间限制|时间要求|(?:多久|几天|多少天|几个月)(?:之内|以内|内)|什么时候(?:之前|以前|前|报名|申请|办理?|开始|截止|可以报|能报|受理)|(?:报名|申请|受理)(?:时间|日期)|几月份?(?:报名|申请)|过了时间|不办会|不办的话|后果|罚款|罚钱|要罚|会罚|被罚|滞纳金|(?:不|没|没有)[^，,。？?！!\s]{0,6}(?:会怎(?:么)?样|会有什么|有什么影响|有没有影响|有影响|要紧)|(?:[一二两三四五六七八九十几半多好]+|\d+)个?(?:天|周|星期|礼拜|月|年)多?了.{0,10}?(?:还|才|现在)|deadline|late|expired?|expire/g,
  ],
  [
    "duration",
    /多久|多长时间|多少天|几天|几个?(?:工作日|星期|礼拜|月)|什么时候(?:能|可以)?(?:拿到|拿|办好|下来|出来|到账|发)|要等|等多久|有效期|管多久|能用多久|管几年|有效几年|领多久|周期|多长|时长|几个工作日|how long|valid/g,
  ],
  [
    "contact",
    /找谁|找哪个|问谁|联系谁|联系人|负责人|对接人|哪位|联系方式|联系电话|电话|热线|打什么|打哪个|打几号|拨打|谁(?:能|可以|会)?来?(?=管|负责|处理|调解|出面|解决|主持)|哪个部门管|咨询谁|向谁|跟谁|有(?:没有)?(?:专门的?|专)?(?:人|人员|工作人员|老师|专人)(?:可以|能|能够|会|来|帮忙)?(?:问|咨询|解答|负责|帮|管|出面|联系|对接|指导|接待|说|看)|(?:负责|管)(?:这个|这块|这事|这件事)?的(?:人|部门|单位)|专人|可以问的|能问的|咨询一下|问问谁|问哪个|(?<![想我再来])问问(?=$|吗|呢|[，,。？?])|who to contact|someone to ask|anyone i can ask|phone|hotline|contact/g,
  ],
  [
    "eligibility",
    /条件|资格|符合|谁(?:可以|能)|哪些人|什么人|什么样的人|门槛|要求|够不够|够格|够资格|有资格|算不算|有没有份|也(?:行|可以|能|算)(?:吗|么|不)|收不收(?!费)|还收吗|收我吗|年龄|岁数|多大年纪|超龄|年纪大|本人.{0,4}(?:去|来|到场|亲自|出面)|亲自|(?:必须|一定要|要不要|需不需要|得)(?:本人|到场)|代办|代领|代为|别人(?:帮|替)|家人(?:帮|替)|eligible|qualify|who can|requirements?/g,
  ],
  // Someone else doing it for the resident ("叫我老婆去行不行", "房东能替我报吗", "爷爷奶奶带去打可以吗").
  [
    "eligibility",
    new RegExp(
      `(?:叫|让|请|托|喊)(?:我|我的|我家)?(?:${PEOPLE})|(?:找|托|请|叫|让)(?:个|别的?)?人(?:帮|替|代|去)|(?:${PEOPLE})+(?:也)?(?:能|可以|会|能不能|可不可以)?(?:替|帮|代|带|陪)`,
      "g",
    ),
  ],
  [
    "eligibility",
    // Whether it applies ("也管吗", "租房住的也给建吗") and what it requires ("一定要有居住证才行吗",
    // "社保要交满几年", "还要交社保吗", "家长有就行吗").
    /也(?:行|可以|能|算|管|给|收|要|有份|适用)[\u4e00-\u9fff]{0,2}(?:吗|么|不|没)|(?<!怎么|怎样|如何|咋)算(?=[\u4e00-\u9fff]{0,4}(?:吗|么))|就行|才行|才可以|一定要有|必须有|非得有|得有|要有|需要有|还要(?:有|交|办|开|参保)|(?:交|缴|住|干)满|适用|算数|承认|认不认/g,
  ],
];

/**
 * A condition put to the topic ("要是社保没交满呢", "如果是合同到期不续签，也算吗"): does it
 * still apply — who can apply, when nothing more specific was asked.
 */
const IF = /^(?:那|那么)?(?:如果|要是|假如|假设|万一|若是|若)/;

/**
 * "能办吗", "外地人能申请公租房吗": can I? — only when nothing more specific was asked. Only the
 * modal and the verb are the cue: the object (公租房) still names the topic.
 */
const CAN_I =
  /((?:可以|能|能不能|可不可以)(?:在.{0,4})?(?:办|申请|领|参加|交|享受|上|读|报名?|去|用|拿))(?=.{0,10}(?:吗|么|不))|能不能办|可以办吗|能办吗/;

/**
 * "那我老婆呢", "孩子呢", "没有居住证的呢", "那外地户口的孩子呢": does it apply to someone else — who
 * can apply.
 */
const WHO_ELSE =
  /^(?:那|那么|还有)?(?:(?:我|我的|我家)?(?:老婆|老公|爱人|媳妇|丈夫|妻子|孩子|小孩|儿子|女儿|父母|爸妈|爸爸|妈妈|老人|家人|家属|亲戚|朋友|室友|同事|外地人|没有居住证的?人?|没居住证的?人?|他|她|他们|她们)|[\u4e00-\u9fff]{1,10}的(?:人|孩子|老人|学生|家属|员工|工人)?)(?:也可以|也能|也行|可以吗|能吗|行吗)?(?:呢|吗)?[?？。!！\s]*$/;

/** A follow-up asking for the general answer again: "这个呢", "具体怎么办", "详细说说". */
const GENERAL =
  /^(?:那|那么)?(?:这个|那个|这|它)?(?:呢|怎么说)|详细|具体(?:说|讲|怎么)|说说|讲讲|介绍一?下|是什么|什么意思|啥意思|怎么回事|(?:怎么|如何)(?:办理?|弄|搞|申请|报名|参加|加入|操作|处理|做)|流程|步骤|然后呢|还有呢|具体点/;

/**
 * The resident's own situation in a follow-up ("我不是本地户口", "只有我一个人有居住证", "我是自己
 * 辞职的"): a circumstance of the question, not a new topic.
 */
const CONDITION =
  /(?:(?:我|我们|我家|我们家|家里|他|她|孩子|老公|老婆|媳妇)(?:都|就|也|还|只|又)?|只)(?:不是|是|没有|没|有)[^，,。？?!！\s]{0,10}/g;

/**
 * Circumstances put to the topic rather than topics of their own: a conditional clause ("要是社保
 * 没交满", "如果是合同到期了单位不续签" — unless it states an intention: "如果我想转社保呢"), a
 * missing thing ("没有劳动合同能办吗"), and what a requirement names ("一定要有居住证才行吗",
 * "要带居住登记的回执吗", "社保要交满几年", "孩子有居住证还是家长有").
 */
const CIRCUMSTANCE = new RegExp(
  [
    "(?:如果|要是|假如|假设|万一|若是)(?![^，,。；;？?!！]*(?:想|打算|准备))[^，,。；;？?!！]*",
    "^(?:那|那么)?(?:没有|没|不是)[^，,。；;？?!！\\s]{1,10}?(?=能|可以|行|也|还|的话|呢|吗|$)",
    `(?:(?:要|得|需要|必须|一定要|还要|还得|是不是要|是不是还要|先)(?:有|交|缴|开|办|拿|参保)|带|(?:${PEOPLE})有)[^，,。；;？?!！]{1,8}?(?=吗|么|才|就|呢|还是|行不行|可以吗|$)`,
    "[^，,。；;？?!！\\s]{1,6}?(?=要?(?:交|缴|住)满)",
    // A kind of person the question is put for ("社保断了的人能拿吗", "租房住的人也行吗").
    "[^，,。；;？?!！\\s]{1,8}的(?:人|孩子|老人|学生|员工|工人|家庭)(?=[^，,。；;？?!！\\s]{0,6}$)",
  ].join("|"),
  "g",
);

/** Where a message's clauses end. */
const CLAUSE_END = /[，,。；;？?!！]/;

/**
 * A space ends a clause only between sentences ("跟邻居吵起来了 谁能来调解"), not between keywords
 * ("居住证 签注 在哪里办"): when every piece is a sentence's length.
 */
function sentencesOf(text: string, from: number, to: number): { from: number; to: number }[] {
  const pieces: { from: number; to: number }[] = [];
  for (const m of text.slice(from, to).matchAll(/\S+/g)) pieces.push({ from: from + m.index, to: from + m.index + m[0].length });
  return pieces.length > 1 && pieces.every((p) => p.to - p.from >= 5) ? pieces : [{ from, to }];
}

export interface PartsAsked {
  /** The parts asked, in the order they appear (at most three). Empty: the general answer. */
  parts: PartKey[];
  /** The message without the words that asked for parts: what remains may name a topic. */
  rest: string;
  /**
   * What may name a topic in a follow-up: the rest of the clauses that ask (not the ones that
   * only describe: "我上班没空，叫我老婆去行不行"), without the circumstances put to the topic.
   */
  subject: string;
  /** The message reads as a follow-up: it asks for a part, another person, or the general answer again. */
  followUp: boolean;
}

/**
 * Reads which parts of an entry a message asks about. `normalized`: the text is already the
 * analyzer's normalisation (Simplified, lower case), so the script conversion is not run again.
 */
export function partsAsked(text: string, opts: { normalized?: boolean } = {}): PartsAsked {
  const whole = opts.normalized ? text : basicNormalize(text);
  let t = whole;
  const found: { part: PartKey; at: number }[] = [];
  for (const [part, re] of CUES) {
    t = t.replace(re, (m, at: number) => {
      found.push({ part, at });
      return " ".repeat(m.length);
    });
  }
  if (!found.length && (WHO_ELSE.test(whole) || IF.test(whole))) found.push({ part: "eligibility", at: 0 });
  if (!found.length) {
    const m = CAN_I.exec(t);
    if (m) {
      found.push({ part: "eligibility", at: m.index });
      const cue = m[1] ?? m[0];
      t = t.slice(0, m.index) + " ".repeat(cue.length) + t.slice(m.index + cue.length);
    }
  }
  const parts: PartKey[] = [];
  for (const f of found.sort((a, b) => a.at - b.at)) if (!parts.includes(f.part) && parts.length < 3) parts.push(f.part);
  const general = GENERAL.exec(whole);
  if (general) t = t.replace(GENERAL, " ");
  const rest = t.replace(CONDITION, " ").replace(/\s+/g, " ").trim();
  const asking = found.map((f) => f.at);
  if (general) asking.push(general.index);
  return { parts, rest, subject: subjectOf(whole, t, asking), followUp: parts.length > 0 || !!general || WHO_ELSE.test(whole) };
}

/** The words of the asking clauses left once the cues (blanked in `t`) and the circumstances are out. */
function subjectOf(whole: string, t: string, asking: readonly number[]): string {
  const clauses: { from: number; to: number }[] = [];
  let from = 0;
  for (let i = 0; i <= whole.length; i++) {
    if (i === whole.length || CLAUSE_END.test(whole[i]!)) {
      if (i > from) clauses.push(...sentencesOf(whole, from, i));
      from = i + 1;
    }
  }
  const asks = clauses.filter((c) => asking.some((at) => at >= c.from && at < c.to));
  const kept = asks.length && asks.length < clauses.length ? asks : clauses;
  // Circumstances are found in the words as written, and blanked in the text without the cues.
  const chars = t.split("");
  for (const c of kept) {
    const clause = whole.slice(c.from, c.to);
    for (const m of clause.matchAll(CIRCUMSTANCE)) chars.fill(" ", c.from + m.index, c.from + m.index + m[0].length);
  }
  return kept
    .map((c) => chars.slice(c.from, c.to).join("").replace(CONDITION, " "))
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
}

/** What the answer says it is about, when it answers more than one part (a short heading). */
export const partHeadings: Record<Asked, string> = {
  summary: "概况",
  eligibility: "谁可以办",
  prepare: "要准备什么",
  where: "在哪里办",
  online: "网上怎么办",
  cost: "费用",
  duration: "要多久",
  deadline: "时间要求",
  contact: "找谁问",
};

/** How a resident asks for a part: offered as options under an answer (a follow-up the topic answers). */
export const partQuestions: Record<PartKey, string> = {
  eligibility: "需要什么条件",
  prepare: "要带什么材料",
  where: "在哪里办",
  online: "网上能办吗",
  cost: "要花钱吗",
  duration: "要多久",
  deadline: "晚了会怎样",
  contact: "找谁问",
};
