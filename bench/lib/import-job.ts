// Child process for bench/import-while-serving.ts: imports one permit CSV with the given
// importPermitCsv options (JSON in argv), against DATABASE_URL, then exits.
import { loadConfig } from "../../src/config/config.ts";
import { Store } from "../../src/data/store.ts";
import { type ImportOptions, importPermitCsv } from "../../src/reminders/import.ts";

const [file, options] = process.argv.slice(2);
const config = loadConfig(process.env);
const store = await Store.open(config.DATABASE_URL);
try {
  const summary = await importPermitCsv(store.permits, file as string, Date.now(), JSON.parse(options ?? "{}") as ImportOptions);
  process.stderr.write(`  imported ${summary.upserted} of ${summary.rows} rows (${summary.encoding})\n`);
} finally {
  await store.close();
}
