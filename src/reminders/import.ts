import { createReadStream } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { TextDecoder } from "node:util";
import { type PermitRepo, type PermitRow, type RowRejection, validatePermitRows } from "../data/permits.ts";

export const PERMIT_CSV_COLUMNS = ["channel", "userId", "permitNumber", "holderName", "endorseBy"] as const;

/** The encodings a permit file may come in: what Chinese office software exports, and UTF-8. */
export type CsvEncoding = "utf-8" | "gb18030" | "utf-16le" | "utf-16be";

export interface ImportSummary {
  /** The file's encoding, as detected. */
  encoding: CsvEncoding;
  /** Data rows read (not counting the header and blank lines). */
  rows: number;
  upserted: number;
  /** `index` is the 1-based line number in the file. */
  rejected: RowRejection[];
  rejectedCount: number;
  /** Lines refused because their permit number is on another line of the file too (part of rejectedCount). */
  duplicateLines: number;
}

export interface ImportOptions {
  /** The most rows in one transaction (the size adapts below it to keep each short). */
  batchSize?: number;
  /** How long one transaction should hold the database, roughly (ms). */
  targetTransactionMs?: number;
  /** Pause after each transaction, so a running service's turns get the database in between (default on). */
  pace?: boolean;
  /** At most this many rejections are kept in the summary (all are counted, and passed to onRejected). */
  keepRejections?: number;
  onBatch?: (summary: ImportSummary) => void;
  onRejected?: (rejection: RowRejection & { permitNumber?: string }) => void;
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

/** The file's encoding cannot be told, or it mixes encodings: nothing is imported. */
export class CsvEncodingError extends Error {}

const ENCODING_ADVICE =
  'save the file again as "CSV UTF-8" (Excel: Save As → CSV UTF-8; WPS: 另存为 → CSV, encoding UTF-8), or as GBK/GB18030 CSV, and import it again';

/** The file's bytes, line by line (split at \n, which neither UTF-8 nor GBK uses inside a character). */
async function* byteLines(path: string): AsyncGenerator<Buffer> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let data = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
      yield data.subarray(start, nl);
      start = nl + 1;
    }
    data = data.subarray(start);
    rest = Buffer.from(data);
  }
  if (rest.length) yield rest;
}

const hasHighBytes = (line: Buffer) => line.some((b) => b >= 0x80);

function decodes(decoder: TextDecoder, line: Buffer): boolean {
  try {
    decoder.decode(line);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads the whole file once to tell its encoding, before anything is imported: a byte-order
 * mark says it outright (UTF-8, UTF-16); otherwise UTF-8 when every line is valid UTF-8, GBK
 * (decoded as GB18030, its superset) when no line with Chinese text is, and a refusal naming the
 * line when the file mixes the two or is neither — guessing there would import garbled names.
 */
export async function detectCsvEncoding(path: string): Promise<CsvEncoding> {
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const gb = new TextDecoder("gb18030", { fatal: true });
  let lineNo = 0;
  let utf8Lines = 0;
  let firstNonUtf8: number | null = null;
  let firstNeither: number | null = null;
  for await (const raw of byteLines(path)) {
    lineNo++;
    let line = raw;
    if (lineNo === 1) {
      if (line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf) line = line.subarray(3);
      else if (line[0] === 0xff && line[1] === 0xfe) return "utf-16le";
      else if (line[0] === 0xfe && line[1] === 0xff) return "utf-16be";
      // A BOM-less UTF-16 file has a NUL byte next to every ASCII character.
      else if (line.includes(0)) {
        throw new CsvEncodingError(`line 1 holds NUL bytes (UTF-16 without a byte-order mark?): ${ENCODING_ADVICE}`);
      }
    }
    if (!hasHighBytes(line)) continue;
    if (decodes(utf8, line)) utf8Lines++;
    else {
      firstNonUtf8 ??= lineNo;
      if (firstNeither === null && !decodes(gb, line)) firstNeither = lineNo;
    }
  }
  if (firstNonUtf8 === null) return "utf-8";
  if (utf8Lines > 0) {
    throw new CsvEncodingError(
      `line ${firstNonUtf8} is not UTF-8 while ${utf8Lines} other line(s) are: the file mixes encodings; ${ENCODING_ADVICE}`,
    );
  }
  if (firstNeither !== null) {
    throw new CsvEncodingError(`line ${firstNeither} is neither UTF-8 nor GBK/GB18030 text: ${ENCODING_ADVICE}`);
  }
  return "gb18030";
}

/** The file's lines as text, in `encoding` (a byte-order mark dropped, CR LF or LF endings). */
async function* textLines(path: string, encoding: CsvEncoding): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding, { fatal: true });
  let rest = "";
  let lineNo = 0;
  const decode = (chunk?: Buffer) => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch {
      throw new CsvEncodingError(`after line ${lineNo} the file is not valid ${encoding}: ${ENCODING_ADVICE}`);
    }
  };
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    const text = rest + decode(chunk);
    const lines = text.split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      lineNo++;
      yield line.endsWith("\r") ? line.slice(0, -1) : line;
    }
  }
  const last = rest + decode();
  if (last) yield last.endsWith("\r") ? last.slice(0, -1) : last;
}

interface CsvRecord {
  lineNo: number;
  fields: string[];
}

/** Data rows with their line numbers, after checking the header (throws CsvHeaderError). */
async function* records(path: string, encoding: CsvEncoding, onHeader?: (columns: string[]) => void): AsyncGenerator<CsvRecord> {
  let lineNo = 0;
  let header = false;
  for await (const line of textLines(path, encoding)) {
    lineNo++;
    if (!line.trim()) continue;
    const fields = parseCsvLine(line);
    if (!header) {
      header = true;
      const columns = fields.map((f) => f.trim());
      const missing = PERMIT_CSV_COLUMNS.filter((c) => !columns.includes(c));
      if (missing.length) {
        throw new CsvHeaderError(
          `line ${lineNo}: the header must name the columns ${PERMIT_CSV_COLUMNS.join(",")} (missing: ${missing.join(", ")})`,
        );
      }
      onHeader?.(columns);
      continue;
    }
    yield { lineNo, fields };
  }
  if (!header) throw new CsvHeaderError("the file is empty: expected a header line");
}

/** FNV-1a: a 32-bit fingerprint of a permit number, to find repeats in a large file in little memory. */
function fingerprint(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Permit numbers that appear on more than one line, with those lines. Two passes so a file of
 * millions of rows needs a few bytes a row: fingerprints first (a typed array, sorted), then
 * the real numbers only for rows whose fingerprint repeats.
 */
async function findRepeats(path: string, encoding: CsvEncoding): Promise<Map<string, number[]>> {
  let column = -1;
  const numberOf = (r: CsvRecord) => (column >= 0 ? (r.fields[column] ?? "").trim() : "");
  let prints = new Uint32Array(1024);
  let n = 0;
  for await (const r of records(path, encoding, (cols) => (column = cols.indexOf("permitNumber")))) {
    const number = numberOf(r);
    if (!number) continue;
    if (n === prints.length) {
      const bigger = new Uint32Array(prints.length * 2);
      bigger.set(prints);
      prints = bigger;
    }
    prints[n++] = fingerprint(number);
  }
  const sorted = prints.subarray(0, n).sort();
  const repeated = new Set<number>();
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) repeated.add(sorted[i] as number);
  const lines = new Map<string, number[]>();
  if (!repeated.size) return lines;
  for await (const r of records(path, encoding)) {
    const number = numberOf(r);
    if (number && repeated.has(fingerprint(number))) lines.set(number, [...(lines.get(number) ?? []), r.lineNo]);
  }
  for (const [number, at] of lines) if (at.length < 2) lines.delete(number);
  return lines;
}

/**
 * Imports the permit office's CSV export (header channel,userId,permitNumber,holderName,endorseBy,
 * any column order). Before anything is written the file is read to tell its encoding (UTF-8
 * with or without BOM, UTF-16 with BOM, GBK/GB18030; anything else is refused with
 * CsvEncodingError) and to find permit numbers given on several lines: every such line is
 * refused and reported, none applied, since which holder or date is right cannot be told. Then
 * rows are validated one by one and upserted in short transactions (each aimed at
 * `targetTransactionMs`, at most `batchSize` rows), with a pause after each as long as it took:
 * a service running on the same database gets its turns in between. Memory stays small: the
 * file is streamed, repeats are found by fingerprint.
 */
export async function importPermitCsv(
  permits: PermitRepo,
  path: string,
  now: number,
  opts: ImportOptions = {},
): Promise<ImportSummary> {
  const maxBatch = opts.batchSize ?? 2000;
  const target = opts.targetTransactionMs ?? 20;
  const pace = opts.pace ?? true;
  const keep = opts.keepRejections ?? 100;
  const encoding = await detectCsvEncoding(path);
  const repeats = await findRepeats(path, encoding);
  const summary: ImportSummary = { encoding, rows: 0, upserted: 0, rejected: [], rejectedCount: 0, duplicateLines: 0 };
  const reject = (rejection: RowRejection & { permitNumber?: string }) => {
    summary.rejectedCount++;
    if (summary.rejected.length < keep) summary.rejected.push({ index: rejection.index, errors: rejection.errors });
    opts.onRejected?.(rejection);
  };

  let columns: string[] = [];
  let batch: PermitRow[] = [];
  let size = Math.min(maxBatch, 200);
  const flush = async () => {
    if (!batch.length) return;
    const started = performance.now();
    summary.upserted += await permits.upsert(batch, now);
    const ms = performance.now() - started;
    batch = [];
    opts.onBatch?.(summary);
    // Aim the next transaction at the target time (halving or doubling at most per step).
    size = Math.max(20, Math.min(maxBatch, Math.round(size * Math.min(2, Math.max(0.5, target / Math.max(ms, 1))))));
    if (pace) await sleep(Math.max(5, Math.min(ms, 200)));
  };
  for await (const { lineNo, fields } of records(path, encoding, (cols) => (columns = cols))) {
    summary.rows++;
    const row: Record<string, string> = {};
    columns.forEach((name, i) => {
      if (fields[i] !== undefined) row[name] = fields[i] as string;
    });
    const { valid, rejected } = validatePermitRows([row], lineNo);
    const errors = rejected.flatMap((r) => r.errors);
    if (fields.length !== columns.length) errors.unshift(`expected ${columns.length} fields, found ${fields.length}`);
    const permitNumber = (row.permitNumber ?? "").trim() || undefined;
    const same = permitNumber ? repeats.get(permitNumber) : undefined;
    if (same) {
      summary.duplicateLines++;
      errors.unshift(
        `permitNumber ${permitNumber} appears on ${same.length} lines (${same.join(", ")}): none of them was imported`,
      );
    }
    if (errors.length) {
      reject({ index: lineNo, errors, ...(permitNumber ? { permitNumber } : {}) });
      continue;
    }
    batch.push(...valid);
    if (batch.length >= size) await flush();
  }
  await flush();
  return summary;
}
