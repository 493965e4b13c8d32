import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { redactPersonalData } from "../lib/text.ts";
import { prepared } from "./prepared.ts";

/** Longest question text kept for staff; longer messages are cut (they are rarely questions). */
const MAX_SAMPLE = 300;

const UPSERT_UNANSWERED = `
  INSERT INTO "UnansweredQuestion" (id, normalized, sample, count, firstAskedAt, lastAskedAt)
  VALUES (?, ?, ?, 1, ?, ?)
  ON CONFLICT(normalized) DO UPDATE SET count = count + 1, lastAskedAt = excluded.lastAskedAt, sample = excluded.sample`;
const INSERT_FEEDBACK = `INSERT INTO "AnswerFeedback" (id, entryId, residentId, helpful, createdAt) VALUES (?, ?, ?, ?, ?)`;

/** The key unanswered questions are counted under: the same question in other punctuation, case or width counts once. */
export function unansweredKey(normalized: string): string {
  return normalized.replace(/[\p{P}\p{S}\s]/gu, "").slice(0, MAX_SAMPLE);
}

/**
 * Counts a question the assistant could not answer (out of scope or not understood), for staff
 * to improve the catalogue. ID and phone numbers are masked before anything is stored.
 */
export function recordUnanswered(sql: Database.Database, question: string, normalized: string, now: number): void {
  const key = unansweredKey(redactPersonalData(normalized));
  if (!key) return;
  const sample = redactPersonalData(question).slice(0, MAX_SAMPLE);
  prepared(sql, UPSERT_UNANSWERED).run(randomUUID(), key, sample, now, now);
}

/** Stores one resident's 有用/没用 on one catalogue entry. */
export function recordFeedback(sql: Database.Database, residentId: string, entryId: string, helpful: boolean, now: number): void {
  prepared(sql, INSERT_FEEDBACK).run(randomUUID(), entryId, residentId, helpful ? 1 : 0, now);
}

export interface UnansweredRow {
  normalized: string;
  sample: string;
  count: number;
  lastAskedAt: number;
}

/** The most asked unanswered questions first. */
export function topUnanswered(sql: Database.Database, limit = 50): UnansweredRow[] {
  const rows = sql
    .prepare(
      `SELECT normalized, sample, count, lastAskedAt FROM "UnansweredQuestion" ORDER BY count DESC, lastAskedAt DESC LIMIT ?`,
    )
    .all(limit) as Record<string, unknown>[];
  return rows.map((r) => ({
    normalized: String(r.normalized),
    sample: String(r.sample),
    count: Number(r.count),
    lastAskedAt: Number(r.lastAskedAt),
  }));
}

/** Helpful / unhelpful counts per entry. */
export function feedbackCounts(sql: Database.Database): { entryId: string; helpful: number; unhelpful: number }[] {
  const rows = sql
    .prepare(
      `SELECT entryId, SUM(CASE WHEN helpful = 1 THEN 1 ELSE 0 END) AS helpful, SUM(CASE WHEN helpful = 0 THEN 1 ELSE 0 END) AS unhelpful
       FROM "AnswerFeedback" GROUP BY entryId ORDER BY entryId`,
    )
    .all() as Record<string, unknown>[];
  return rows.map((r) => ({ entryId: String(r.entryId), helpful: Number(r.helpful), unhelpful: Number(r.unhelpful) }));
}
