import { type Compilable, CompiledQuery, type Kysely, type QueryResult } from "kysely";
import type { DB } from "./db.ts";

/** A placeholder value: where it lands in the compiled parameters is where the real value goes. */
class Param {
  constructor(readonly name: string) {}
}

export interface Prepared<P, R> {
  run(executor: Kysely<DB>, values: P): Promise<QueryResult<R>>;
  /** The compiled SQL and its parameters for `values` (for a synchronous SQLite run). */
  readonly sql: string;
  parameters(values: P): unknown[];
}

/**
 * A query built and compiled once, then run with new values: building and compiling a Kysely
 * query costs more than running a simple statement on SQLite, which matters on the per-message
 * path. `p("name")` stands for a value given at run time. (The SQLite connection in
 * src/data/sqlite.ts also keeps each statement prepared, so parsing happens once too.)
 */
export function prepare<P extends Record<string, unknown>, R>(
  build: (p: <K extends keyof P & string>(name: K) => P[K]) => Compilable<R>,
): Prepared<P, R> {
  const compiled = build(<K extends keyof P & string>(name: K) => new Param(name) as unknown as P[K]).compile();
  // Constants written into the query stay as they are; placeholders take the run's values.
  const slots = compiled.parameters.map((v) => (v instanceof Param ? v : { constant: v }));
  const parameters = (values: P) => slots.map((s) => (s instanceof Param ? values[s.name] : s.constant));
  return {
    sql: compiled.sql,
    parameters,
    run(executor, values) {
      return executor.executeQuery<R>(CompiledQuery.raw(compiled.sql, parameters(values)));
    },
  };
}
