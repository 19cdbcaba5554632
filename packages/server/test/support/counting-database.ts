import type { Database, QueryOptions, Sql, SqlParam } from '../../src/store/database.ts';

export interface Statement {
  text: string;
  params: readonly SqlParam[];
}

/**
 * A Database that records every statement it runs (inside transactions too)
 * and hands it on to the real one: tests count statements instead of timing
 * them.
 */
export function countingDatabase(db: Database): { db: Database; statements: Statement[] } {
  const statements: Statement[] = [];
  const wrap = (sql: Sql): Sql['query'] =>
    ((text: string, params: readonly SqlParam[] = [], options?: QueryOptions) => {
      statements.push({ text, params });
      return sql.query(text, params, options);
    }) as Sql['query'];
  const counted: Database = {
    kind: db.kind,
    query: wrap(db),
    transaction: (fn) => db.transaction((tx) => fn({ query: wrap(tx) })),
    exec: (script) => db.exec(script),
    close: () => db.close(),
  };
  return { db: counted, statements };
}
