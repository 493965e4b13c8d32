import type Database from "better-sqlite3";

const cache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** A statement prepared once per connection and reused: parsing SQL on every call costs more than running it. */
export function prepared(sql: Database.Database, text: string): Database.Statement {
  let byText = cache.get(sql);
  if (!byText) {
    byText = new Map();
    cache.set(sql, byText);
  }
  let statement = byText.get(text);
  if (!statement) {
    statement = sql.prepare(text);
    byText.set(text, statement);
  }
  return statement;
}
