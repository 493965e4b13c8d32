/**
 * The service catalogue: entries and national facts validated and indexed. Exports
 * `buildCatalogue(entries, national)` (a pure function: the index can be rebuilt at run time from
 * entries stored anywhere), `loadCatalogue(dir)` (the files of `knowledge/`, read once at start-up),
 * the `Catalogue` (get / fact / search / understand / understandInContext) and its types.
 */
import { createHash } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Catalogue } from "./catalogue.ts";
import { contentOf, stableJson } from "./content.ts";
import { CatalogueError, checkCatalogue, readEntries, readNational } from "./load.ts";
import type { Entry, NationalFact } from "./schema.ts";

export {
  Catalogue,
  type OutOfScopeReason,
  type SearchHit,
  type TopicContext,
  type Understanding,
} from "./catalogue.ts";
export { CatalogueError, checkCatalogue, parseEntry, readEntries, readNational } from "./load.ts";
export type { Asked, ConfigurableKind, Entry, NationalFact, Part, PartKey, Sensitivity } from "./schema.ts";
export { configurableKinds, configurableValueSchemas, partKeys } from "./schema.ts";

/** The repository's `knowledge/` folder. */
export const defaultKnowledgeDir = join(dirname(fileURLToPath(import.meta.url)), "../../knowledge");

/**
 * Indexes validated entries (from files or from stored versions). Throws a CatalogueError when
 * they do not fit together (a related entry or a national fact that does not exist).
 */
export function buildCatalogue(entries: readonly Entry[], national: readonly NationalFact[]): Catalogue {
  const problems = checkCatalogue(entries, national);
  if (problems.length) throw new CatalogueError(problems);
  return new Catalogue(entries, national);
}

/** Recently built catalogues by their content: an instance (or a test process) rebuilding the same content reuses the index. */
const built = new Map<string, Catalogue>();
const BUILT_KEPT = 3;

/**
 * buildCatalogue, remembering the last few results by content: building the index costs a few
 * hundred milliseconds of CPU, and the same content comes back often (several apps in one test
 * process, a rollback to the version before).
 */
export function buildCatalogueCached(entries: readonly Entry[], national: readonly NationalFact[]): Catalogue {
  const key = createHash("sha256")
    .update(stableJson(entries.map((e) => contentOf(e))))
    .update(stableJson(national))
    .digest("hex");
  const hit = built.get(key);
  if (hit) return hit;
  const catalogue = buildCatalogue(entries, national);
  built.set(key, catalogue);
  if (built.size > BUILT_KEPT) built.delete(built.keys().next().value as string);
  return catalogue;
}

const cache = new Map<string, Catalogue>();

/**
 * Loads, validates and indexes a knowledge folder. A broken entry throws a CatalogueError that
 * names the file and the field. The same folder is indexed once per process.
 */
export async function loadCatalogue(dir: string = defaultKnowledgeDir, opts: { fresh?: boolean } = {}): Promise<Catalogue> {
  const key = resolve(dir);
  const cached = cache.get(key);
  if (cached && !opts.fresh) return cached;
  const national = readNational(key);
  const catalogue = new Catalogue(readEntries(key, national), national);
  cache.set(key, catalogue);
  return catalogue;
}
