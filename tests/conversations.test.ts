/**
 * Runs every conversation in tests/conversations/**.yml against the real service (HTTP route,
 * engine, database), one app per file. See tests/conversations/README.md for the format.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import type { MessageKind, TurnResult } from "../src/domain/types.ts";
import { deadEndIn, readDeadEnds } from "../src/knowledge/evaluate.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "conversations");

const oneOrMany = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

const expectSchema = z
  .object({
    /** The slot the assistant waits for; `none` when it waits for nothing. */
    awaiting: z.string().optional(),
    awaitingType: z.string().optional(),
    /** awaiting.choices, exactly. */
    choices: z.array(z.string()).optional(),
    /** Choices offered on the replies (buttons / numbered options) include these. */
    offers: oneOrMany.optional(),
    /** Some reply has this intent. */
    intent: z.string().optional(),
    /** Some reply cites this catalogue entry (or national fact). */
    cites: z.string().optional(),
    /** The first reply's first source: the entry the answer rests on. */
    citesFirst: z.string().optional(),
    /** No reply cites anything (declined, small talk, a form prompt). */
    citesNothing: z.boolean().optional(),
    textIncludes: oneOrMany.optional(),
    textExcludes: oneOrMany.optional(),
    textMatches: z.string().optional(),
    handoff: z.boolean().optional(),
    replies: z.number().int().optional(),
  })
  .strict();

const applicationCheck = z
  .object({
    count: z.number().int(),
    type: z.string().optional(),
    status: z.string().optional(),
    name: z.string().optional(),
    idNumberMasked: z.string().optional(),
    phone: z.string().optional(),
    district: z.string().optional(),
    /** Fields of the application's data JSON. */
    data: z.record(z.string(), z.unknown()).optional(),
    /** The reference quoted to the resident is the stored one. */
    referenceQuoted: z.boolean().optional(),
  })
  .strict();

const checkSchema = z
  .object({
    /** Applications of this conversation's resident(s) (all of them when several). */
    applications: applicationCheck.optional(),
    /** Strings that must not appear in the stored conversation state, transcript or application rows. */
    notStored: z.array(z.string()).optional(),
    deletionRequests: z.number().int().optional(),
    /** The resident's consent is recorded (true) or not (false). */
    consent: z.boolean().optional(),
    residentDistrict: z.string().optional(),
  })
  .strict();

const turnSchema = z.union([
  z
    .object({
      user: z.string(),
      /** Another resident in the same conversation test (a second user id). */
      from: z.string().optional(),
      messageId: z.string().optional(),
      kind: z.enum(["text", "image", "voice", "video", "file", "location", "link", "sticker", "other"]).optional(),
      group: z.boolean().optional(),
      expect: expectSchema.optional(),
    })
    .strict(),
  z.object({ advance: z.string().regex(/^\d+(m|h|d)$/) }).strict(),
  z.object({ restart: z.literal(true) }).strict(),
  z.object({ check: checkSchema }).strict(),
]);

const fileSchema = z
  .object({
    now: z.string().optional(),
    conversations: z
      .array(
        z
          .object({
            name: z.string(),
            now: z.string().optional(),
            turns: z.array(turnSchema).min(1),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

type Turn = z.infer<typeof turnSchema>;
type Expect = z.infer<typeof expectSchema>;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(name) ? [path] : [];
    });
}

const DEFAULT_NOW = "2026-11-28T10:00:00+08:00";
/** Wording no reply may ever contain: every reply of every conversation is checked. */
const DEAD_ENDS = readDeadEnds(join(here, "eval/dead-ends.yml"));
const ENV = { RATE_LIMIT_PER_MINUTE: "1000", TZ: "Asia/Shanghai" };
const REFERENCE = /YJ\d{8}-[0-9A-Z]{4}/;
const UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `{reference}` in expected texts stands for the last reference number the assistant quoted. */
function withReference(e: Expect, reference: string | undefined): Expect {
  const sub = (list: string[] | undefined) => list?.map((s) => s.replaceAll("{reference}", reference ?? "{reference}"));
  return { ...e, textIncludes: sub(e.textIncludes), textExcludes: sub(e.textExcludes) };
}

function verify(result: TurnResult, e: Expect, where: string): void {
  const text = result.replies.map((r) => r.text).join("\n");
  const context = `${where}\n--- replies ---\n${text}\n--- awaiting: ${JSON.stringify(result.awaiting)}`;
  if (e.awaiting !== undefined) {
    expect(result.awaiting?.slot ?? "none", context).toBe(e.awaiting);
  }
  if (e.awaitingType !== undefined) expect(result.awaiting?.type, context).toBe(e.awaitingType);
  if (e.choices) expect(result.awaiting?.choices, context).toEqual(e.choices);
  if (e.offers) {
    const offered = result.replies.flatMap((r) => r.choices ?? []);
    for (const c of e.offers) expect(offered, context).toContain(c);
  }
  if (e.intent)
    expect(
      result.replies.map((r) => r.intent),
      context,
    ).toContain(e.intent);
  if (e.cites)
    expect(
      result.replies.flatMap((r) => r.sources ?? []).map((s) => s.id),
      context,
    ).toContain(e.cites);
  if (e.citesFirst) expect(result.replies[0]?.sources?.[0]?.id, context).toBe(e.citesFirst);
  if (e.citesNothing)
    expect(
      result.replies.flatMap((r) => r.sources ?? []),
      context,
    ).toEqual([]);
  for (const s of e.textIncludes ?? []) expect(text, context).toContain(s);
  for (const s of e.textExcludes ?? []) expect(text, context).not.toContain(s);
  if (e.textMatches) expect(text, context).toMatch(new RegExp(e.textMatches));
  if (e.handoff !== undefined) expect(result.handoff, context).toBe(e.handoff);
  if (e.replies !== undefined) expect(result.replies.length, context).toBe(e.replies);
}

for (const path of yamlFiles(root)) {
  const name = relative(root, path);
  const file = fileSchema.parse(parse(readFileSync(path, "utf8")));

  describe(`conversations/${name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), "yongju-conv-"));
    let app: TestApp;

    beforeAll(async () => {
      app = await createTestApp(ENV, { dir, now: file.now ?? DEFAULT_NOW });
    });
    afterAll(async () => {
      await app?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    file.conversations.forEach((conversation, index) => {
      it(conversation.name, async () => {
        app.clock.set(conversation.now ?? file.now ?? DEFAULT_NOW);
        const base = `${name.replace(/\W+/g, "-")}-${index}`;
        const users = new Set<string>([base]);
        let lastReference: string | undefined;

        for (const [i, turn] of conversation.turns.entries()) {
          const where = `${name} › ${conversation.name} › turn ${i + 1}`;
          if ("advance" in turn) {
            const [, n, unit] = /^(\d+)(m|h|d)$/.exec(turn.advance) as unknown as [string, string, keyof typeof UNITS];
            app.clock.advance(Number(n) * UNITS[unit]);
          } else if ("restart" in turn) {
            const now = app.clock.now();
            const databaseUrl = app.databaseUrl;
            await app.close();
            app = await createTestApp(ENV, { dir, databaseUrl, now });
          } else if ("check" in turn) {
            await runCheck(app, [...users], turn.check, lastReference, where);
          } else {
            const userId = turn.from ? `${base}-${turn.from}` : base;
            users.add(userId);
            const text = turn.user.replaceAll("{reference}", lastReference ?? "");
            const result = await send(app, userId, text, turn);
            for (const r of result.replies) {
              expect(deadEndIn(r.text, DEAD_ENDS), `${where} (${text}): dead-end wording in\n${r.text}`).toBeUndefined();
            }
            const found = result.replies
              .map((r) => r.text)
              .join("\n")
              .match(REFERENCE);
            if (found) lastReference = found[0];
            if (turn.expect) verify(result, withReference(turn.expect, lastReference), `${where} (${text})`);
          }
        }
      });
    });
  });
}

async function send(app: TestApp, userId: string, text: string, turn: Extract<Turn, { user: string }>): Promise<TurnResult> {
  if (turn.kind || turn.group) {
    // Channel-level details the message API does not carry: through the engine, as a channel would.
    return app.ctx.engine.handle({
      channel: "api",
      userId,
      text,
      kind: (turn.kind ?? "text") as MessageKind,
      inGroup: turn.group ?? false,
      messageId: turn.messageId,
    });
  }
  return app.say(userId, text, turn.messageId);
}

async function runCheck(
  app: TestApp,
  users: string[],
  check: z.infer<typeof checkSchema>,
  reference: string | undefined,
  where: string,
) {
  const sql = app.sql;
  const marks = users.map(() => "?").join(",");
  const residents = await sql.all<{ id: string; consentAt: number | null; district: string | null }>(
    `SELECT id, consentAt, district FROM "Resident" WHERE channel = 'api' AND channelUserId IN (${marks})`,
    ...users,
  );
  const ids = residents.map((r) => r.id);
  const idMarks = ids.map(() => "?").join(",") || "''";
  const apps = await sql.all(`SELECT * FROM "Application" WHERE residentId IN (${idMarks}) ORDER BY createdAt`, ...ids);

  if (check.applications) {
    const a = check.applications;
    expect(apps.length, `${where}: applications`).toBe(a.count);
    const last = apps.at(-1);
    if (last) {
      if (a.type) expect(last.type, where).toBe(a.type);
      if (a.status) expect(last.status, where).toBe(a.status);
      if (a.name) expect(last.name, where).toBe(a.name);
      if (a.idNumberMasked) expect(last.idNumberMasked, where).toBe(a.idNumberMasked);
      if (a.phone) expect(last.phone, where).toBe(a.phone);
      if (a.district) expect(last.district, where).toBe(a.district);
      if (a.data) expect(JSON.parse(String(last.data)), where).toMatchObject(a.data);
      if (a.referenceQuoted) expect(last.reference, where).toBe(reference);
    }
  }
  if (check.notStored) {
    const states = (await sql.all(`SELECT state FROM "Conversation" WHERE residentId IN (${idMarks})`, ...ids)).map((r) =>
      JSON.stringify(r),
    );
    const messages = (await sql.all(`SELECT text, result FROM "Message" WHERE residentId IN (${idMarks})`, ...ids)).map((r) =>
      JSON.stringify(r),
    );
    const stored = [...states, ...messages, ...apps.map((r) => JSON.stringify(r))].join("\n");
    for (const s of check.notStored) expect(stored.includes(s), `${where}: "${s}" is stored in clear`).toBe(false);
  }
  if (check.deletionRequests !== undefined) {
    const n = await sql.get<{ n: number }>(
      `SELECT count(*) AS n FROM "DeletionRequest" WHERE residentId IN (${idMarks})`,
      ...ids,
    );
    expect(n?.n, where).toBe(check.deletionRequests);
  }
  if (check.consent !== undefined)
    expect(
      residents.some((r) => r.consentAt !== null),
      where,
    ).toBe(check.consent);
  if (check.residentDistrict) expect(residents[0]?.district, where).toBe(check.residentDistrict);
}
