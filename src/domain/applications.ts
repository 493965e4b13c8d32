import { randomInt } from "node:crypto";
import { localDate } from "../lib/local-time.ts";

/**
 * An application's type is the guided flow that created it (`address_report`,
 * `permit_endorsement`, …): the loaded flows are the list, not the code.
 */
export type ApplicationType = string;
export const applicationStatuses = ["pending", "info_requested", "approved", "rejected"] as const;
export type ApplicationStatus = (typeof applicationStatuses)[number];

/** What a guided flow hands over on submit. The clear ID number never gets here. */
export interface NewApplication {
  reference: string;
  type: ApplicationType;
  /** Non-identifying slots (district, address, dates, housing type…). */
  data: Record<string, unknown>;
  name?: string | null;
  idNumberEnc?: string | null;
  idNumberHash?: string | null;
  idNumberMasked?: string | null;
  phone?: string | null;
  district?: string | null;
}

export interface ApplicationSummary {
  id: string;
  reference: string;
  type: ApplicationType;
  status: ApplicationStatus;
  name: string | null;
  idNumberMasked: string | null;
  district: string | null;
  data: Record<string, unknown>;
  decisionReason: string | null;
  infoRequest: string | null;
  createdAt: number;
  decidedAt: number | null;
}

/** What a new flow may reuse from the resident's last application of a type (never the clear ID). */
export interface PreviousApplication extends ApplicationSummary {
  idNumberEnc: string | null;
  idNumberHash: string | null;
}

/** What staff asked for and what the resident answered, kept on the application as JSON. */
export interface InfoRequestRecord {
  question: string;
  askedAt: number;
  askedBy: string;
  /** The resident's answers (one per line), ID and phone numbers masked. */
  answer?: string;
  /** Answers that held an ID or phone number, encrypted whole: read only through the audited reveal. */
  answerEnc?: string[];
  answeredAt?: number;
}

/**
 * Reads the stored record; an unreadable or plain-text one (older rows) counts as the question.
 * Never throws: a hand-edited row must not break the resident's status view.
 */
export function parseInfoRequest(text: string | null): Partial<InfoRequestRecord> | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Partial<InfoRequestRecord>;
  } catch {
    // fall through
  }
  return { question: text };
}

// No 0/O or 1/I: a resident reads the reference out over the phone.
const REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
export const REFERENCE_PATTERN = /YJ\d{8}-[0-9A-Z]{4}/i;

/** YJ20261128-4F7K: the local date of submission and four random characters. */
export function newReference(now: number, timeZone: string): string {
  const parts = localDate(now, timeZone);
  let suffix = "";
  for (let i = 0; i < 4; i++) suffix += REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)];
  return `YJ${parts.replaceAll("-", "")}-${suffix}`;
}
