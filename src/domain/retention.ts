/**
 * How long personal data is kept (decided with the product owner): a conversation's transcript
 * until RETENTION_TRANSCRIPT_DAYS after its last message, an application until
 * RETENTION_APPLICATION_DAYS after the decision. The daily retention job deletes what is older
 * (src/jobs/retention.ts); the consent notice of every flow states the same periods, filled in
 * from here (intents/*.yml: `{transcripts}`, `{applications}`), so the two cannot disagree.
 */
export interface RetentionPolicy {
  transcriptDays: number;
  applicationDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { transcriptDays: 365, applicationDays: 3 * 365 };

export const DAY_MS = 24 * 60 * 60 * 1000;

/** A period as a resident reads it: whole years as 年 ("1年", "3年"), anything else in days ("90天"). */
export function retentionPeriod(days: number): string {
  return days % 365 === 0 ? `${days / 365}年` : `${days}天`;
}

/** The placeholders a flow's consent notice uses, and what they are filled with. */
export function retentionPlaceholders(policy: RetentionPolicy): Record<string, string> {
  return { transcripts: retentionPeriod(policy.transcriptDays), applications: retentionPeriod(policy.applicationDays) };
}
