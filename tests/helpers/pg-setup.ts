/**
 * vitest globalSetup for the PostgreSQL run: checks the server is reachable, migrates one
 * template database for this run, and drops every database the run created at the end. Each
 * test then gets its own database cloned from the template (tests/helpers/database.ts), so test
 * files run in parallel without seeing each other's rows.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { migratePostgres } from "../../src/data/migrate.ts";

export const ADMIN_URL = process.env.TEST_PG_ADMIN_URL || "postgresql://app:app@127.0.0.1:5432/postgres";

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export default async function setup({ provide }: { provide: (key: string, value: string) => void }) {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      `The PostgreSQL test run needs a server at ${ADMIN_URL} (${(err as Error).message}). ` +
        'Start it as in the README ("Tests"), set TEST_PG_ADMIN_URL, or run only SQLite: npx vitest run --project sqlite',
    );
  }
  const run = `yjt_${randomBytes(4).toString("hex")}`;
  const template = `${run}_tpl`;
  await admin.query(`CREATE DATABASE ${template}`);
  const client = new pg.Client({ connectionString: withDatabase(ADMIN_URL, template) });
  await client.connect();
  await migratePostgres(client);
  await client.end();
  provide("pgRun", run);
  provide("pgTemplate", template);
  provide("pgAdminUrl", ADMIN_URL);
  return async () => {
    const { rows } = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${run}%`]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  };
}
