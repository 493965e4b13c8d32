/**
 * npm run knowledge:export [-- --dir <folder>]: writes the catalogue as published in the database
 * (DATABASE_URL) back to knowledge/*.md, so staff's changes can be reviewed in a git diff and
 * committed. Only the fields that differ are rewritten; an unchanged entry keeps its file byte for
 * byte. At the next start-up the files say what is published, so nothing is imported again.
 */
import { parseArgs } from "node:util";
import { Store } from "../src/data/store.ts";
import { scriptConfig } from "./lib/config.ts";
import { exportToDir } from "../src/knowledge/export.ts";
import { defaultKnowledgeDir } from "../src/knowledge/index.ts";
import { entriesFromStored } from "../src/knowledge/live.ts";
import { contentOf, type EntryContent } from "../src/knowledge/content.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { dir: { type: "string" } } });
  const dir = values.dir ?? defaultKnowledgeDir;
  const config = scriptConfig();
  if (!config) return 1;
  const store = await Store.open(config.DATABASE_URL);
  try {
    const rows = await store.knowledge.all();
    if (!rows.length) {
      console.error("knowledge:export: the database has no published entries yet (start the service once to seed it)");
      return 1;
    }
    // Validated like every read: a stored entry the rules refuse is named, never written out.
    const published: EntryContent[] = entriesFromStored(rows).map((e) => contentOf(e));
    const { written, unchanged } = exportToDir(published, dir);
    console.log(
      written.length
        ? `knowledge:export: wrote ${written.length} file(s) to ${dir}: ${written.join(", ")} (${unchanged} unchanged); review with git diff`
        : `knowledge:export: ${dir} already says what is published (${unchanged} entries)`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`knowledge:export: ${(err as Error).message}`);
    process.exit(1);
  },
);
