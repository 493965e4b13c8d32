import type Database from "better-sqlite3";
import { prepared } from "./prepared.ts";

interface Row {
  id: number;
  author: string;
  text: string;
  intent: string | null;
  sources: string | null;
  choices: string | null;
  createdAt: number;
}

const LIST = `
  SELECT m.id, m.author, m.text, m.intent, m.sources, m.choices, m.createdAt FROM "Message" m
  JOIN "Resident" r ON r.id = m.residentId
  WHERE r.channel = ? AND r.channelUserId = ? AND m.id > ?
  ORDER BY m.id DESC LIMIT ?`;
const STATUS = `
  SELECT c.status FROM "Conversation" c JOIN "Resident" r ON r.id = c.residentId
  WHERE r.channel = ? AND r.channelUserId = ?`;

/** A resident's transcript after a message id, oldest first (web chat history and polling). */
export function listTranscript(sql: Database.Database, channel: string, userId: string, after: number, limit = 100) {
  const rows = (prepared(sql, LIST).all(channel, userId, after, limit) as Row[]).reverse();
  const status = (prepared(sql, STATUS).get(channel, userId) as { status: string } | undefined)?.status ?? "bot";
  return {
    handoff: status === "escalated" || status === "staff",
    messages: rows.map((r) => ({
      id: Number(r.id),
      author: r.author,
      text: r.text,
      intent: r.intent,
      ...(r.sources ? { sources: JSON.parse(r.sources) } : {}),
      ...(r.choices ? { choices: JSON.parse(r.choices) } : {}),
      createdAt: Number(r.createdAt),
    })),
  };
}
