import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { type PermitRepo, type PermitRow, type RowRejection, validatePermitRows } from "../data/permits.ts";

export const PERMIT_CSV_COLUMNS = ["channel", "userId", "permitNumber", "holderName", "endorseBy"] as const;

export interface ImportSummary {
  /** Data rows read (not counting the header and blank lines). */
  rows: number;
  upserted: number;
  /** `index` is the 1-based line number in the file. */
  rejected: RowRejection[];
  rejectedCount: number;
}

/** Splits one CSV line (RFC 4180 quoting: "a, b" and "" for a quote inside quotes). */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else field += c;
  }
  fields.push(field);
  return fields;
}

export class CsvHeaderError extends Error {}

/**
 * Imports the permit office's CSV export (header channel,userId,permitNumber,holderName,endorseBy,
 * any column order) streaming line by line: rows are validated one by one and upserted in
 * transactions of `batchSize`, so a file of millions of rows needs little memory. Bad rows are
 * reported by line number; at most `keepRejections` of them are kept in the summary.
 */
export async function importPermitCsv(
  permits: PermitRepo,
  path: string,
  now: number,
  opts: { batchSize?: number; keepRejections?: number; onBatch?: (summary: ImportSummary) => void } = {},
): Promise<ImportSummary> {
  const batchSize = opts.batchSize ?? 5000;
  const keep = opts.keepRejections ?? 100;
  const summary: ImportSummary = { rows: 0, upserted: 0, rejected: [], rejectedCount: 0 };
  const lines = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Number.POSITIVE_INFINITY });
  let columns: string[] | null = null;
  let batch: PermitRow[] = [];
  let lineNo = 0;
  const flush = async () => {
    if (!batch.length) return;
    summary.upserted += await permits.upsert(batch, now);
    batch = [];
    opts.onBatch?.(summary);
  };
  for await (const raw of lines) {
    lineNo++;
    const line = lineNo === 1 ? raw.replace(/^\uFEFF/, "") : raw;
    if (!line.trim()) continue;
    const fields = parseCsvLine(line);
    if (!columns) {
      columns = fields.map((f) => f.trim());
      const missing = PERMIT_CSV_COLUMNS.filter((c) => !columns?.includes(c));
      if (missing.length) {
        throw new CsvHeaderError(
          `line ${lineNo}: the header must name the columns ${PERMIT_CSV_COLUMNS.join(",")} (missing: ${missing.join(", ")})`,
        );
      }
      continue;
    }
    summary.rows++;
    const row: Record<string, string> = {};
    columns.forEach((name, i) => {
      if (fields[i] !== undefined) row[name] = fields[i] as string;
    });
    const { valid, rejected } = validatePermitRows([row], lineNo);
    const errors = rejected.flatMap((r) => r.errors);
    if (fields.length !== columns.length) errors.unshift(`expected ${columns.length} fields, found ${fields.length}`);
    if (errors.length) {
      summary.rejectedCount++;
      if (summary.rejected.length < keep) summary.rejected.push({ index: lineNo, errors });
      continue;
    }
    batch.push(...valid);
    if (batch.length >= batchSize) await flush();
  }
  if (!columns) throw new CsvHeaderError("the file is empty: expected a header line");
  await flush();
  return summary;
}
