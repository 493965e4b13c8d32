/**
 * One model, two databases. `prisma/schema.prisma` is the source of truth; this script derives
 * everything else from it, so nothing is edited twice:
 *
 *   npm run db:migration -- <name>   a migration for SQLite and one for PostgreSQL, from the
 *                                    change since the last migration (prisma/migrated.prisma)
 *   npm run db:schema                re-derives prisma/postgresql/schema.prisma and the Kysely types
 *   tsx scripts/db-schema.ts check   exits 1 when a derived file is stale or a change has no migration
 *
 * Migrations are computed with `prisma migrate diff` between two datamodels (no database and no
 * network needed: the Prisma 6 CLI's WebAssembly engine, see prisma.config.ts).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "prisma/schema.prisma");
const snapshot = join(root, "prisma/migrated.prisma");
const pgSchema = join(root, "prisma/postgresql/schema.prisma");
const dirs = { sqlite: join(root, "prisma/migrations"), postgresql: join(root, "prisma/postgresql/migrations") };

const HEADER = `// GENERATED from ../schema.prisma by scripts/db-schema.ts — do not edit; edit ../schema.prisma
// and run \`npm run db:migration -- <name>\` (or \`npm run db:schema\` when no table changes).
`;

/** The model blocks only (generators and the datasource are per target). */
function models(schema: string): string {
  return schema
    .replace(/^(generator|datasource)\s+\w+\s*\{[^}]*\}\s*/gm, "")
    .replace(/^\/\/.*\n/gm, "")
    .trim();
}

// The Prisma 6 CLI fetches a query engine over the network unless a client generator says
// engineType "client": that is the only reason for this block; nothing imports the client.
const CLIENT_GENERATOR = `generator client {
  provider   = "prisma-client"
  output     = "../../src/generated/prisma"
  engineType = "client"
}
`;

// The Kysely types are generated from the PostgreSQL flavour (real booleans; the SQLite driver
// in src/data maps them both ways). BIGINT columns hold epoch milliseconds, well inside a JS
// number, and both drivers return them as numbers (src/data/db.ts).
const KYSELY_GENERATOR = `generator kysely {
  provider           = "prisma-kysely"
  output             = "../../src/generated/kysely"
  fileName           = "types.ts"
  bigIntTypeOverride = "number"
}
`;

function forProvider(schema: string, provider: "sqlite" | "postgresql", withTypes = false): string {
  const url = provider === "postgresql" ? "postgresql://localhost/placeholder" : "file:./placeholder.db";
  return `${CLIENT_GENERATOR}${withTypes ? `\n${KYSELY_GENERATOR}` : ""}
datasource db {
  provider = "${provider}"
  url      = "${url}"
}

${models(schema)}
`;
}

function derivedPg(): string {
  return HEADER + forProvider(readFileSync(source, "utf8"), "postgresql", true);
}

function prisma(args: string[]): string {
  return execFileSync(join(root, "node_modules/.bin/prisma"), args, {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function diff(from: string | null, to: string): string {
  const tmp = mkdtempSync(join(tmpdir(), "yj-schema-"));
  const toFile = join(tmp, "to.prisma");
  writeFileSync(toFile, to);
  const args = ["migrate", "diff", "--to-schema-datamodel", toFile, "--script"];
  if (from === null) args.push("--from-empty");
  else {
    const fromFile = join(tmp, "from.prisma");
    writeFileSync(fromFile, from);
    args.push("--from-schema-datamodel", fromFile);
  }
  return prisma(args);
}

function generate(): void {
  writeFileSync(pgSchema, derivedPg());
  prisma(["generate", "--schema", pgSchema]);
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

function migration(name: string): void {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error("name the migration in snake_case, e.g. add_lease");
  const current = readFileSync(source, "utf8");
  const before = readFileSync(snapshot, "utf8");
  if (models(current) === models(before) && readdirSync(dirs.postgresql, { withFileTypes: true }).some((d) => d.isDirectory())) {
    console.log("no model change since the last migration");
    return;
  }
  const stamp = `${timestamp()}_${name}`;
  const scripts = {
    sqlite: diff(forProvider(before, "sqlite"), forProvider(current, "sqlite")),
    // PostgreSQL's history starts with the whole model as its first migration.
    postgresql: hasMigrations(dirs.postgresql)
      ? diff(forProvider(before, "postgresql"), forProvider(current, "postgresql"))
      : diff(null, forProvider(current, "postgresql")),
  };
  for (const [provider, sql] of Object.entries(scripts) as ["sqlite" | "postgresql", string][]) {
    if (!sql.replace(/--.*$/gm, "").trim()) continue;
    const dir = join(dirs[provider], stamp);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "migration.sql"), sql);
    const lock = join(dirs[provider], "migration_lock.toml");
    if (!existsSync(lock)) {
      writeFileSync(
        lock,
        `# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "${provider}"\n`,
      );
    }
    console.log(`wrote ${dir}/migration.sql`);
  }
  writeFileSync(snapshot, current);
  generate();
}

function hasMigrations(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir, { withFileTypes: true }).some((d) => d.isDirectory());
}

/** Problems that make the committed files disagree with the model (empty when all is well). */
export function schemaProblems(): string[] {
  const problems: string[] = [];
  if (!existsSync(pgSchema) || readFileSync(pgSchema, "utf8") !== derivedPg()) {
    problems.push("prisma/postgresql/schema.prisma is stale: run `npm run db:schema`");
  }
  if (models(readFileSync(source, "utf8")) !== models(readFileSync(snapshot, "utf8"))) {
    problems.push("prisma/schema.prisma changed without a migration: run `npm run db:migration -- <name>`");
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, arg] = process.argv.slice(2);
  if (command === "migration") migration(arg ?? "");
  else if (command === "generate") generate();
  else if (command === "check") {
    const problems = schemaProblems();
    for (const p of problems) console.error(p);
    process.exit(problems.length ? 1 : 0);
  } else {
    console.error("usage: tsx scripts/db-schema.ts migration <name> | generate | check");
    process.exit(2);
  }
}
