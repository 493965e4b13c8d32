import { z } from "zod";

/** Catalogue ids: lowercase dotted words, e.g. `permit.endorsement`. */
const entryId = z.string().regex(/^[a-z]+(?:[.-][a-z]+)*$/, { error: "must look like area.topic (lowercase, dots)" });

/** National fact ids: `national.permit-regulations.art10`, `hotline.12333`. */
export const nationalIdSchema = z.string().regex(/^(?:national\.[a-z0-9-]+(?:\.[a-z0-9-]+)*|hotline\.\d{3,6})$/, {
  error: "must look like national.… or hotline.<number>",
});

const text = z.string().trim().min(1, { error: "must not be empty" });

/**
 * The parts of an entry residents ask about. `summary` (the general answer) is the entry's own
 * field; these are the specific questions. Keys are shared with the evaluation files and the
 * staff knowledge editor: never rename one.
 */
export const partKeys = ["eligibility", "prepare", "where", "online", "cost", "duration", "deadline", "contact"] as const;
export type PartKey = (typeof partKeys)[number];
/** What a question asks for: one part, or the general answer. */
export type Asked = PartKey | "summary";

/** Kinds of staff-maintained specifics; each validates its value (the knowledge editor relies on it). */
export const configurableKinds = ["phone", "url", "address", "hours", "text"] as const;
export type ConfigurableKind = (typeof configurableKinds)[number];

const emptyToNull = (v: unknown) => (typeof v === "string" && v.trim() === "" ? null : v);

/**
 * What an editor is told when a value does not fit its kind: plain Chinese, with an example of a
 * value that does. Staff read it in the console next to the field (the API's 400 carries it, after
 * the field's label: `specificProblem`), and a broken file names it too.
 */
export const configurableKindProblems: Record<ConfigurableKind, string> = {
  phone: "电话格式不对，请填写如 0574-12345678 或 12333 这样的号码（分机写“转”，几个号码用“、”隔开）",
  url: "网址格式不对，请填写以 http:// 或 https:// 开头的完整网址，如 https://www.ningbo.gov.cn",
  address: "地址不完整，请填写完整地址，如 海曙区××路 100 号××服务中心",
  hours: "办公时间格式不对，请写明哪几天、几点，如 工作日 9:00-17:00 或 周一至周五 上午 9:00-12:00",
  text: "内容不能为空，请填写居民能照着做的文字",
};

/** The value schema of one kind of specific (null: not filled in yet, and then never shown). */
export const configurableValueSchemas: Record<ConfigurableKind, z.ZodType<string>> = {
  // 0574-87654321, 12345, +86 574 8765 4321, 0574-87654321转2, 0574-1111111、0574-2222222
  phone: z
    .string()
    .trim()
    .regex(/^[0-9+\-－()（）\s转、，,/或]+$/, { error: configurableKindProblems.phone })
    .refine((v) => (v.match(/\d/g) ?? []).length >= 3, { error: configurableKindProblems.phone }),
  url: z
    .string()
    .trim()
    .regex(/^https?:\/\/[^\s/]+\.[^\s]+$/, { error: configurableKindProblems.url }),
  address: z.string().trim().min(4, { error: configurableKindProblems.address }),
  hours: z
    .string()
    .trim()
    .regex(/\d|全天|工作日|周[一二三四五六日末]|上午|下午|晚上|节假日/, { error: configurableKindProblems.hours }),
  text: z.string().trim().min(1, { error: configurableKindProblems.text }),
};

/**
 * A specific's value refused for its kind, as the editor's API says it: the field's path and kind
 * first (where the console puts the message; API clients match on it), then plain Chinese naming
 * the field by its label: `configurable.hotline (phone): 本地欠薪投诉电话：电话格式不对，请填写如 …`.
 */
export function specificProblem(key: string, field: { label: string; kind: string }, message: string): string {
  return `configurable.${key} (${field.kind}): ${field.label}：${message}`;
}

/** A specific the seed and the national facts do not give (phone, address, entry point…): staff fill in `value`. */
export const configurableFieldSchema = z
  .strictObject({
    label: text,
    kind: z.enum(configurableKinds),
    value: z.preprocess(emptyToNull, z.string().nullable()),
  })
  .superRefine((field, ctx) => {
    if (field.value === null) return;
    const checked = configurableValueSchemas[field.kind].safeParse(field.value);
    if (!checked.success) {
      ctx.addIssue({ code: "custom", path: ["value"], message: checked.error.issues[0]?.message ?? "invalid value" });
    }
  });
export type ConfigurableField = z.infer<typeof configurableFieldSchema>;

const configurableKey = z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/, { error: "must be a camelCase key" });

/**
 * One part of an entry: a few lines a resident can act on without any specific filled in, the
 * national facts it rests on, and the specifics (configurable keys) shown under it once filled.
 */
export const partSchema = z.strictObject({
  text,
  national: z.array(nationalIdSchema).default([]),
  uses: z.array(configurableKey).default([]),
});
export type Part = z.infer<typeof partSchema>;

export const sensitivities = ["wage", "dispute", "distress"] as const;
export type Sensitivity = (typeof sensitivities)[number];

const isoDate = z.preprocess(
  (v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v),
  z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: "must be a date YYYY-MM-DD" }),
);

/** The front matter of one `knowledge/*.md` file (or one entry version stored by the knowledge editor). */
export const entryFrontMatterSchema = z.strictObject({
  id: entryId,
  title: text,
  category: text,
  /** The general answer: a few sentences a resident can act on. */
  summary: text,
  /** National facts the summary rests on (cited after the entry). */
  national: z.array(nationalIdSchema).default([]),
  parts: z.strictObject(
    Object.fromEntries(partKeys.map((k) => [k, partSchema.optional()])) as Record<PartKey, z.ZodOptional<typeof partSchema>>,
  ),
  nextStep: text,
  related: z.array(entryId),
  seedItems: z.array(z.number().int().min(1).max(30)).min(1, { error: "must name at least one seed item" }),
  lastReviewed: isoDate,
  examples: z.array(text).min(3, { error: "needs at least three example questions" }),
  keywords: z.array(text),
  configurable: z.record(configurableKey, configurableFieldSchema).default({}),
  sensitive: z.enum(sensitivities).optional(),
});
export type EntryFrontMatter = z.infer<typeof entryFrontMatterSchema>;

/** One catalogue entry as the rest of the code sees it. */
export interface Entry extends EntryFrontMatter {
  /** The markdown body under the front matter (background for staff and the LLM). */
  body: string;
  /** Where it was loaded from (a file, or a stored version), for error messages. */
  file: string;
}

/** One national rule or hotline (knowledge/national.yml). */
export const nationalFactSchema = z.strictObject({
  id: nationalIdSchema,
  /** How the citation names it: 《居住证暂行条例》第十条, 12333 人社服务热线. */
  title: text,
  /** A hotline's number: found in an answer's text, it cites the hotline. */
  number: z
    .string()
    .regex(/^\d{3,6}$/)
    .optional(),
  /** A plain paraphrase (for staff and the optional LLM). */
  says: text,
  source: text,
});
export type NationalFact = z.infer<typeof nationalFactSchema>;

export const nationalFileSchema = z.strictObject({ facts: z.array(nationalFactSchema).min(1) });
