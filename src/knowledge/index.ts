/**
 * The service catalogue: `knowledge/*.md` loaded, validated and indexed once at start-up.
 * Exports `loadCatalogue(dir)`, the `Catalogue` (get / entries / search / understand) and the
 * wording of catalogue answers.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Catalogue } from "./catalogue.ts";
import { readEntries } from "./load.ts";

export { Catalogue, type SearchHit, type Understanding } from "./catalogue.ts";
export { CatalogueError } from "./load.ts";
export type { Entry, Sensitivity } from "./schema.ts";

/** The repository's `knowledge/` folder. */
export const defaultKnowledgeDir = join(dirname(fileURLToPath(import.meta.url)), "../../knowledge");

const cache = new Map<string, Catalogue>();

/**
 * Loads, validates and indexes a knowledge folder. A broken entry throws a CatalogueError that
 * names the file and the field. The same folder is indexed once per process.
 */
export async function loadCatalogue(dir: string = defaultKnowledgeDir, opts: { fresh?: boolean } = {}): Promise<Catalogue> {
  const key = resolve(dir);
  const cached = cache.get(key);
  if (cached && !opts.fresh) return cached;
  const catalogue = new Catalogue(readEntries(key));
  cache.set(key, catalogue);
  return catalogue;
}
