/**
 * Runs evaluation sets through the real service — the whole dialog (skills, topic in the stored
 * conversation state, SQLite), retrieval only, no LLM — and measures what a resident would read:
 * the entry the first answer cites, the parts it gave, whether a message was declined, and every
 * reply for dead-end wording.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type BuiltApp, buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import { parseState } from "../../src/dialog/state.ts";
import type { TurnResult } from "../../src/domain/types.ts";
import {
  type DeadEndReport,
  deadEndIn,
  type EvalQuestion,
  type FollowUp,
  type FollowUpReport,
  type QuestionReport,
  readDeadEnds,
  readEvalSet,
  readFollowUps,
} from "../../src/knowledge/evaluate.ts";
import { ManualClock } from "../../src/lib/clock.ts";

export const evalDir = resolve(import.meta.dirname, "../../tests/eval");
export const evalFiles = {
  dev: join(evalDir, "dev-set.yml"),
  test: join(evalDir, "test-set.yml"),
  followUpsDev: join(evalDir, "followups-dev.yml"),
  followUpsTest: join(evalDir, "followups-test.yml"),
  deadEnds: join(evalDir, "dead-ends.yml"),
};

/** The service the sets run through, on a throw-away SQLite file. */
export class EvalService {
  private n = 0;
  readonly deadEnds: DeadEndReport = { replies: 0, found: [] };

  private constructor(
    private readonly built: BuiltApp,
    private readonly dir: string,
    private readonly phrases: readonly string[],
  ) {}

  static async start(): Promise<EvalService> {
    const dir = mkdtempSync(join(tmpdir(), "yongju-eval-"));
    const config = loadConfig({
      DATABASE_URL: `file:${join(dir, "eval.db")}`,
      DATA_DIR: dir,
      LOG_LEVEL: "silent",
      REMINDER_QUIET_HOURS: "",
      STAFF_ADMIN_USERNAME: "admin",
      STAFF_ADMIN_PASSWORD: "harbour-lantern-73",
      RATE_LIMIT_PER_MINUTE: "1000000",
    });
    // A fixed Saturday morning: office hours and topics behave the same on every run.
    const clock = new ManualClock(new Date("2026-11-28T10:00:00+08:00").getTime());
    const built = await buildApp({ config, clock, jobs: false });
    return new EvalService(built, dir, readDeadEnds(evalFiles.deadEnds));
  }

  get catalogue() {
    return this.built.ctx.catalogue;
  }

  async close(): Promise<void> {
    await this.built.app.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A message from a resident, every reply scanned for dead-end wording. */
  private async say(userId: string, text: string): Promise<TurnResult> {
    const result = await this.built.ctx.engine.handle({ channel: "api", userId, text });
    for (const r of result.replies) {
      this.deadEnds.replies++;
      const phrase = deadEndIn(r.text, this.phrases);
      if (phrase) this.deadEnds.found.push({ text: r.text, phrase, after: text });
    }
    return result;
  }

  private async topicOf(conversationId: string): Promise<{ entries: string[]; parts: string[] } | undefined> {
    const row = await this.built.ctx.store.conversations.find(conversationId);
    return parseState(row?.state).topic;
  }

  /** Entry ids the replies cite, in order (national facts left out). */
  private citedEntries(result: TurnResult): string[] {
    return result.replies.flatMap((r) => r.sources ?? []).flatMap((s) => (this.catalogue.get(s.id) ? [s.id] : []));
  }

  /** Each question from a new resident, as its first message. */
  async questions(set: readonly EvalQuestion[]): Promise<QuestionReport> {
    const report: QuestionReport = {
      inScope: 0,
      outOfScope: 0,
      top1: 0,
      top3: 0,
      declined: 0,
      clarified: 0,
      byTag: {},
      confusions: [],
    };
    for (const item of set) {
      const result = await this.say(`eval-q-${++this.n}`, item.q);
      const cited = this.citedEntries(result);
      const clarify = result.replies.find((r) => r.intent === "clarify");
      const intent = result.replies[0]?.intent ?? "none";
      if (item.expect === null) {
        report.outOfScope++;
        if (!cited.length) report.declined++;
        else report.confusions.push({ q: item.q, expect: null, got: cited[0]!, kind: intent, tags: item.tags });
        continue;
      }
      report.inScope++;
      const offered = clarify
        ? (clarify.choices ?? []).flatMap((title) => this.catalogue.entries.filter((e) => e.title === title).map((e) => e.id))
        : [];
      const u = this.catalogue.understand(item.q);
      const ranked = [...cited.slice(0, 1), ...offered, ...(u.kind === "answer" ? u.hits.map((h) => h.id) : [])];
      const hit1 = cited[0] === item.expect;
      const hit3 = [...new Set(ranked)].slice(0, 3).includes(item.expect);
      if (clarify) report.clarified++;
      if (hit1) report.top1++;
      if (hit3) report.top3++;
      for (const tag of item.tags) {
        const t = report.byTag[tag] ?? { total: 0, top1: 0 };
        report.byTag[tag] = t;
        t.total++;
        if (hit1) t.top1++;
      }
      if (!hit1) report.confusions.push({ q: item.q, expect: item.expect, got: cited[0] ?? null, kind: intent, tags: item.tags });
    }
    return report;
  }

  /** Each conversation from a new resident: the second turn is judged. */
  async followUps(set: readonly FollowUp[]): Promise<FollowUpReport> {
    const report: FollowUpReport = { total: 0, fromTopic: 0, rightPart: 0, misses: [] };
    for (const item of set) {
      const user = `eval-f-${++this.n}`;
      await this.say(user, item.turns[0]);
      const result = await this.say(user, item.turns[1]);
      report.total++;
      const got = this.citedEntries(result)[0] ?? null;
      const gotParts = (await this.topicOf(result.conversationId))?.parts ?? [];
      const onTopic = got === item.expect;
      const partOk = onTopic && (item.part === "new_topic" || gotParts.includes(item.part));
      if (onTopic) report.fromTopic++;
      if (partOk) report.rightPart++;
      if (!partOk) report.misses.push({ turns: item.turns, expect: item.expect, part: item.part, got, gotParts });
    }
    return report;
  }
}

export interface EvalRun {
  dev: QuestionReport;
  test?: QuestionReport;
  followUpsDev?: FollowUpReport;
  followUpsTest?: FollowUpReport;
  deadEnds: DeadEndReport;
  entries: number;
}

/** Runs every set that exists (the blind test files may not have landed yet). */
export async function runEvaluation(files: Partial<typeof evalFiles> = {}): Promise<EvalRun> {
  const f = { ...evalFiles, ...files };
  const service = await EvalService.start();
  try {
    const dev = await service.questions(readEvalSet(f.dev));
    const test = existsSync(f.test) ? await service.questions(readEvalSet(f.test)) : undefined;
    const followUpsDev = existsSync(f.followUpsDev) ? await service.followUps(readFollowUps(f.followUpsDev)) : undefined;
    const followUpsTest = existsSync(f.followUpsTest) ? await service.followUps(readFollowUps(f.followUpsTest)) : undefined;
    return { dev, test, followUpsDev, followUpsTest, deadEnds: service.deadEnds, entries: service.catalogue.entries.length };
  } finally {
    await service.close();
  }
}
