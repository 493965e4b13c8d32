import { z } from "zod";

/** Catalogue ids: lowercase dotted words, e.g. `permit.endorsement`. */
const entryId = z.string().regex(/^[a-z]+(?:[.-][a-z]+)*$/, { error: "must look like area.topic (lowercase, dots)" });

const text = z.string().trim().min(1, { error: "must not be empty" });

/** A specific the seed does not give (phone, address, deadline): staff fill in `value`. */
export const configurableFieldSchema = z.strictObject({
  label: text,
  value: z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? null : v), z.string().trim().nullable()),
});

export const sensitivities = ["wage", "dispute", "distress"] as const;
export type Sensitivity = (typeof sensitivities)[number];

const isoDate = z.preprocess(
  (v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v),
  z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: "must be a date YYYY-MM-DD" }),
);

/** The front matter of one `knowledge/*.md` file. */
export const entryFrontMatterSchema = z.strictObject({
  id: entryId,
  title: text,
  category: text,
  summary: text,
  eligibility: z.array(text),
  prepare: z.array(text),
  howTo: z.strictObject({ online: z.array(text), inPerson: z.array(text) }),
  nextStep: text,
  related: z.array(entryId),
  seedItems: z.array(z.number().int().min(1).max(30)).min(1, { error: "must name at least one seed item" }),
  lastReviewed: isoDate,
  examples: z.array(text).min(3, { error: "needs at least three example questions" }),
  keywords: z.array(text),
  configurable: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/), configurableFieldSchema).default({}),
  sensitive: z.enum(sensitivities).optional(),
});
export type EntryFrontMatter = z.infer<typeof entryFrontMatterSchema>;

/** One catalogue entry as the rest of the code sees it. */
export interface Entry extends EntryFrontMatter {
  /** The markdown body under the front matter (background for staff and the LLM). */
  body: string;
  /** File it was loaded from, for error messages. */
  file: string;
}
