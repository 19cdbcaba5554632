import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { ATTR_DB_OPERATION_NAME, ATTR_DB_QUERY_SUMMARY, ATTR_DB_SYSTEM_NAME, ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { Database, QueryOptions, Sql, SqlParam } from '../store/database.ts';
import { activeTracer } from './tracer.ts';
import { withSpan } from './spans.ts';

/**
 * The database with a child span per statement and per transaction, under
 * the frame or request that runs them. A span names the statement by its
 * operation and first table (`INSERT messages`, `SELECT memberships`): never
 * its parameters and never its text, which could hold literals. Statements
 * outside any recording span (heartbeats, the outbox relay, migrations) add
 * nothing. Applied by the composition root only when tracing is on, so with
 * tracing off the database is not wrapped at all.
 */
export function traceDatabase(db: Database): Database {
  const traced: Database = {
    kind: db.kind,
    query: (text, params, options) => traceStatement(db.kind, text, () => db.query(text, params, options)),
    transaction: (fn) =>
      traceStatement(db.kind, 'TRANSACTION', () => db.transaction((tx) => fn(traceSql(db.kind, tx)))),
    exec: (script) => db.exec(script),
    close: () => db.close(),
  };
  if (db.poolStats) traced.poolStats = () => db.poolStats!();
  return traced;
}

function traceSql(kind: Database['kind'], sql: Sql): Sql {
  return {
    query: <Row>(text: string, params?: readonly SqlParam[], options?: QueryOptions) => traceStatement(kind, text, () => sql.query<Row>(text, params, options)),
  };
}

function traceStatement<T>(kind: Database['kind'], text: string, run: () => Promise<T>): Promise<T> {
  const tracer = activeTracer();
  if (tracer === null) return run();
  const parent = trace.getActiveSpan();
  if (parent === undefined || !parent.isRecording()) return run();
  const { operation, summary } = summarize(text);
  const span: Span = tracer.startSpan(`db ${summary}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      [ATTR_DB_SYSTEM_NAME]: 'postgresql',
      [ATTR_DB_OPERATION_NAME]: operation,
      [ATTR_DB_QUERY_SUMMARY]: summary,
      'parley.db.engine': kind,
    },
  });
  return withSpan(span, run).then(
    (result) => {
      span.end();
      return result;
    },
    (err: unknown) => {
      // The SQLSTATE class only: a message may quote values.
      const code = (err as { code?: unknown } | null)?.code;
      span.setAttribute(ATTR_ERROR_TYPE, typeof code === 'string' ? code : 'error');
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      throw err;
    },
  );
}

interface Summary {
  operation: string;
  summary: string;
}

// Statement texts are constants of the repositories, so a small cache makes
// summarising free after the first time; it is bounded in case some text is
// built per call (a variable IN list).
const summaries = new Map<string, Summary>();
const MAX_SUMMARIES = 1000;
const IDENT = '"?[A-Za-z_][A-Za-z0-9_]*"?(?:\\."?[A-Za-z_][A-Za-z0-9_]*"?)?';
const OPERATION = /^\s*(?:--[^\n]*\n\s*)*([A-Za-z]+)/;
// A table, not a function call (`unnest(`) or a sub-select.
const TARGETS: Array<[string, RegExp]> = [
  ['INSERT', new RegExp(`\\binsert\\s+into\\s+(${IDENT})`, 'i')],
  ['UPDATE', new RegExp(`\\bupdate\\s+(${IDENT})(?!\\s*\\()`, 'i')],
  ['DELETE', new RegExp(`\\bdelete\\s+from\\s+(${IDENT})`, 'i')],
  ['SELECT', new RegExp(`\\bfrom\\s+(${IDENT})\\b(?!\\s*\\()`, 'i')],
];

/**
 * `INSERT messages`: the operation and the table it acts on, identifiers only.
 * A `WITH …` statement is named by the change it makes (INSERT, then UPDATE,
 * then DELETE), else as a SELECT.
 */
export function summarize(text: string): Summary {
  let summary = summaries.get(text);
  if (summary !== undefined) return summary;
  let operation = (OPERATION.exec(text)?.[1] ?? 'SQL').toUpperCase();
  let target: string | undefined;
  for (const [op, pattern] of TARGETS) {
    if (operation !== op && operation !== 'WITH') continue;
    const match = pattern.exec(text);
    if (match === null) continue;
    target = match[1]!.replaceAll('"', '');
    operation = op;
    break;
  }
  summary = { operation, summary: target === undefined ? operation : `${operation} ${target}` };
  if (summaries.size >= MAX_SUMMARIES) summaries.clear();
  summaries.set(text, summary);
  return summary;
}
