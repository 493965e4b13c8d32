/**
 * Imports the permit office's CSV export: npm run import:permits -- permits.csv
 *
 * Header: channel,userId,permitNumber,holderName,endorseBy (endorseBy as YYYY-MM-DD). Rows are
 * upserted by permitNumber in batched transactions while the file streams in; bad rows are listed
 * by line number and skipped, good rows are kept. Uses DATABASE_URL like the service (the service
 * may keep running). Exit code: 0 all rows imported, 2 some rows rejected, 1 nothing imported.
 */
import { existsSync } from "node:fs";
import { ConfigError, loadConfig } from "../src/config/config.ts";
import { loadDotEnv } from "../src/config/env-file.ts";
import { Store } from "../src/data/store.ts";
import { CsvHeaderError, importPermitCsv } from "../src/reminders/import.ts";

async function main(): Promise<number> {
  const file = process.argv.slice(2).find((a) => !a.startsWith("--"));
  if (!file) {
    console.error("usage: npm run import:permits -- <file.csv>");
    return 1;
  }
  if (!existsSync(file)) {
    console.error(`import:permits: no such file: ${file}`);
    return 1;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    loadDotEnv();
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  const store = await Store.open(config.DATABASE_URL);
  const started = Date.now();
  try {
    const summary = await importPermitCsv(store.permits, file, Date.now(), {
      onBatch: (s) => process.stderr.write(`  ${s.upserted} rows imported…\n`),
    });
    await store.audit.record(
      {
        staffUserId: null,
        username: "cli",
        action: "permits.import",
        detail: `file=${file} rows=${summary.rows} upserted=${summary.upserted} rejected=${summary.rejectedCount}`,
      },
      Date.now(),
    );
    console.log(`import:permits ${file}`);
    console.log(`  rows read: ${summary.rows}`);
    console.log(`  upserted:  ${summary.upserted}`);
    console.log(`  rejected:  ${summary.rejectedCount}`);
    for (const r of summary.rejected.slice(0, 50)) console.log(`    line ${r.index}: ${r.errors.join("; ")}`);
    if (summary.rejectedCount > 50) console.log(`    … and ${summary.rejectedCount - 50} more`);
    console.log(`  took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (summary.rejectedCount === 0) return 0;
    return summary.upserted > 0 ? 2 : 1;
  } catch (err) {
    if (err instanceof CsvHeaderError) {
      console.error(`import:permits: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
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
