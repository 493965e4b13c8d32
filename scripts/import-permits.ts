/**
 * Imports the permit office's CSV export: npm run import:permits -- permits.csv [--report rejected.csv]
 *
 * Header: channel,userId,permitNumber,holderName,endorseBy (endorseBy as YYYY-MM-DD), any order.
 * The encoding is detected (UTF-8 with or without BOM, UTF-16 with BOM, GBK/GB18030); a file
 * whose encoding cannot be told is refused before anything is imported. Rows are upserted by
 * permitNumber in short, paced transactions while the file streams in (the service may keep
 * running on the same DATABASE_URL); bad rows — and every line of a permit number given more than
 * once — are listed by line number and skipped, good rows are kept. `--report <file>` writes every
 * refused line with its reasons (CSV, UTF-8 with BOM so Excel opens it). Exit code: 0 all rows
 * imported, 2 some rows refused (the others imported), 1 nothing imported.
 */
import { createWriteStream, existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { Store } from "../src/data/store.ts";
import { scriptConfig } from "./lib/config.ts";
import { CsvEncodingError, CsvHeaderError, importPermitCsv } from "../src/reminders/import.ts";

const SHOWN = 50;
const csvField = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { report: { type: "string" } }, allowPositionals: true });
  const file = positionals[0];
  if (!file) {
    console.error("usage: npm run import:permits -- <file.csv> [--report <rejected.csv>]");
    return 1;
  }
  if (!existsSync(file)) {
    console.error(`import:permits: no such file: ${file}`);
    return 1;
  }
  const config = scriptConfig();
  if (!config) return 1;
  const store = await Store.open(config.DATABASE_URL);
  const report = values.report ? createWriteStream(values.report, { encoding: "utf8" }) : null;
  report?.write("\uFEFFline,permitNumber,reasons\n");
  const started = Date.now();
  try {
    const summary = await importPermitCsv(store.permits, file, Date.now(), {
      keepRejections: SHOWN,
      onBatch: (s) => process.stderr.write(`  ${s.upserted} rows imported…\n`),
      onRejected: (r) => report?.write(`${r.index},${csvField(r.permitNumber ?? "")},${csvField(r.errors.join("; "))}\n`),
    });
    await store.audit.record(
      {
        staffUserId: null,
        username: "cli",
        action: "permits.import",
        detail: `file=${file} encoding=${summary.encoding} rows=${summary.rows} upserted=${summary.upserted} rejected=${summary.rejectedCount} duplicates=${summary.duplicateLines}`,
      },
      Date.now(),
    );
    console.log(`import:permits ${file}`);
    console.log(`  encoding:  ${summary.encoding}`);
    console.log(`  rows read: ${summary.rows}`);
    console.log(`  upserted:  ${summary.upserted}`);
    console.log(
      `  rejected:  ${summary.rejectedCount}${summary.duplicateLines ? ` (${summary.duplicateLines} of them repeat a permit number)` : ""}`,
    );
    for (const r of summary.rejected) console.log(`    line ${r.index}: ${r.errors.join("; ")}`);
    if (summary.rejectedCount > summary.rejected.length) {
      console.log(
        `    … and ${summary.rejectedCount - summary.rejected.length} more${values.report ? "" : " (--report <file> lists them all)"}`,
      );
    }
    if (values.report) console.log(`  every refused line: ${values.report}`);
    console.log(
      summary.rejectedCount === 0
        ? "  every row was imported"
        : summary.upserted > 0
          ? "  the rows not listed as rejected were imported; fix the rejected lines and import them again"
          : "  nothing was imported",
    );
    console.log(`  took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (summary.rejectedCount === 0) return 0;
    return summary.upserted > 0 ? 2 : 1;
  } catch (err) {
    if (err instanceof CsvHeaderError || err instanceof CsvEncodingError) {
      console.error(`import:permits: ${err.message}`);
      console.error("  nothing was imported");
      return 1;
    }
    throw err;
  } finally {
    await new Promise<void>((resolve) => (report ? report.end(() => resolve()) : resolve()));
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
