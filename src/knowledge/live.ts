import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import type { Catalogue } from "./catalogue.ts";
import { entryFromContent } from "./content.ts";
import { buildCatalogueCached } from "./index.ts";
import { CatalogueError } from "./load.ts";
import type { Entry, NationalFact } from "./schema.ts";

/** Where the published catalogue is read from (the store's knowledge repository). */
export interface PublishedCatalogueSource {
  revision(): Promise<string | null>;
  all(): Promise<{ id: string; version: number; content: string }[]>;
}

export interface LiveCatalogueOptions {
  source: PublishedCatalogueSource;
  national: readonly NationalFact[];
  log: Logger;
  /** Tells every instance that the catalogue changed (store.publish); and hears it (store.subscribe). */
  publish(revision: string): Promise<void>;
  subscribe(handler: (revision: string) => void): () => void;
  /** How often the revision is compared when no notification came (default 2 s). */
  checkEveryMs?: number;
  /** Told how long each rebuild took (metrics). */
  onRebuild?: (ms: number) => void;
}

/** The notification channel of catalogue publishes (PostgreSQL LISTEN/NOTIFY). */
export const KNOWLEDGE_CHANNEL = "knowledge_published";

/** Default interval of the revision check: a missed notification, or another process on the same SQLite file. */
export const KNOWLEDGE_CHECK_MS = 2_000;

/** Reads stored entries back into validated Entries (a broken one is named, never served). */
export function entriesFromStored(rows: readonly { id: string; version: number; content: string }[]): Entry[] {
  const problems: string[] = [];
  const entries: Entry[] = [];
  for (const row of rows) {
    let data: unknown;
    try {
      data = JSON.parse(row.content);
    } catch {
      problems.push(`${sourceName(row.id, row.version)}: stored content is not JSON`);
      continue;
    }
    const { entry, problems: found } = entryFromContent(data, sourceName(row.id, row.version));
    if (entry) entries.push(entry);
    problems.push(...found);
  }
  if (problems.length) throw new CatalogueError(problems);
  return entries;
}

export const sourceName = (id: string, version: number) => `knowledge entry ${id} (version ${version})`;

/**
 * The catalogue residents are answered from, swapped in place when staff publish. Every turn
 * reads `current` (memory only: no database read per message); a publish rebuilds it in the
 * instance that published before the request returns, and in every other instance when it hears
 * the notification (PostgreSQL NOTIFY) or, failing that, at the next revision check (a missed
 * notification, or another process on the same SQLite file, which has no notifications).
 */
export class LiveCatalogue {
  private catalogue: Catalogue;
  private revision: string | null;
  private versions: ReadonlyMap<string, number>;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private checkFailing = false;

  private constructor(
    private readonly opts: LiveCatalogueOptions,
    state: { catalogue: Catalogue; revision: string | null; versions: ReadonlyMap<string, number> },
  ) {
    this.catalogue = state.catalogue;
    this.revision = state.revision;
    this.versions = state.versions;
  }

  /** Loads and indexes the published catalogue; a stored entry that does not validate stops start-up (CatalogueError). */
  static async open(opts: LiveCatalogueOptions): Promise<LiveCatalogue> {
    const revision = await opts.source.revision();
    const rows = await opts.source.all();
    const started = performance.now();
    const catalogue = buildCatalogueCached(entriesFromStored(rows), opts.national);
    opts.onRebuild?.(performance.now() - started);
    return new LiveCatalogue(opts, { catalogue, revision, versions: new Map(rows.map((r) => [r.id, r.version])) });
  }

  /** The catalogue as published (as this instance last heard). */
  get current(): Catalogue {
    return this.catalogue;
  }

  get national(): readonly NationalFact[] {
    return this.opts.national;
  }

  /** The version of each entry in `current`. */
  versionOf(id: string): number | undefined {
    return this.versions.get(id);
  }

  /** Listens for publishes and checks the revision every few seconds. */
  start(): void {
    if (this.timer) return;
    this.unsubscribe = this.opts.subscribe((revision) => {
      if (revision !== this.revision) void this.refresh().catch(() => undefined);
    });
    this.timer = setInterval(() => void this.check(), this.opts.checkEveryMs ?? KNOWLEDGE_CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /**
   * Called by whoever just published: rebuilds here before returning (the next message on this
   * instance is answered from it), then tells the other instances.
   */
  async published(): Promise<void> {
    await this.refresh();
    if (this.revision) await this.opts.publish(this.revision).catch(() => undefined);
  }

  /**
   * Rebuilds from the store when its revision differs from ours. Runs one at a time; a call made
   * while a rebuild runs waits for it and then checks again, so it always sees what was
   * committed before it was called.
   */
  refresh(): Promise<boolean> {
    const next = this.chain.then(() => this.load());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async check(): Promise<void> {
    try {
      const revision = await this.opts.source.revision();
      if (this.checkFailing) this.opts.log.info("knowledge: revision check works again");
      this.checkFailing = false;
      if (revision !== this.revision) await this.refresh();
    } catch (err) {
      // The database is away (its own alerts say so): keep answering from what we have, say it once.
      if (!this.checkFailing) this.opts.log.warn({ err: (err as Error).message }, "knowledge: revision check failed; retrying");
      this.checkFailing = true;
    }
  }

  private async load(): Promise<boolean> {
    const revision = await this.opts.source.revision();
    if (revision === this.revision) return false;
    const rows = await this.opts.source.all();
    const started = performance.now();
    let catalogue: Catalogue;
    try {
      catalogue = buildCatalogueCached(entriesFromStored(rows), this.opts.national);
    } catch (err) {
      // Publishes are validated, so this means the code's rules changed under stored content:
      // residents keep the last good catalogue, and operators are told which entry is at fault.
      this.opts.log.error(
        { err: (err as Error).message, revision },
        "knowledge: published catalogue does not validate; kept the previous one",
      );
      this.revision = revision;
      return false;
    }
    const ms = performance.now() - started;
    this.catalogue = catalogue;
    this.revision = revision;
    this.versions = new Map(rows.map((r) => [r.id, r.version]));
    this.opts.onRebuild?.(ms);
    this.opts.log.info(
      { ms: Math.round(ms), entries: rows.length, revision },
      "knowledge: catalogue rebuilt from the published entries",
    );
    return true;
  }
}
