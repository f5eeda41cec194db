import type { Pending, QueryRecorder } from '../recorder';
import { wrapMethod } from '../wrap';

/**
 * better-sqlite3: synchronous, so a query's time is the call's. Statements come from the
 * native addon, whose exports hold the Statement class (patched when the addon loads, or when
 * found loaded already); a statement from an addon loaded some other way (`nativeBinding`)
 * has its prototype patched at the first `prepare`.
 * `iterate` is recorded when the iterator is created (the rows are read as the app iterates).
 */

type Fn = (this: unknown, ...args: unknown[]) => unknown;

function timed(recorder: QueryRecorder, original: Fn, sqlOf: (self: unknown, args: IArguments) => unknown, params: boolean): Fn {
  return function sqliteQuery(this: unknown) {
    let pending: Pending | null = null;
    try {
      pending = recorder.begin('sqlite', sqlOf(this, arguments), params ? arguments : undefined, sqliteQuery);
    } catch {
      pending = null;
    }
    if (pending === null) return original.apply(this, arguments as unknown as unknown[]);
    let failed = true;
    try {
      const result = original.apply(this, arguments as unknown as unknown[]);
      failed = false;
      return result;
    } finally {
      recorder.end(pending, failed);
    }
  };
}

const statementSql = (self: unknown) => (self as { source?: unknown } | null)?.source;

function patchStatementPrototype(proto: object | null, recorder: QueryRecorder): boolean {
  let any = false;
  for (const name of ['run', 'get', 'all', 'iterate']) {
    any = wrapMethod(proto, name, (original) => timed(recorder, original, statementSql, true)) || any;
  }
  return any;
}

/** The native addon's exports: `{ Database, Statement, … }`. */
export function patchSqliteAddon(addon: unknown, recorder: QueryRecorder): boolean {
  const Statement = (addon as { Statement?: unknown } | null)?.Statement;
  return typeof Statement === 'function' && patchStatementPrototype(Statement.prototype as object, recorder);
}

export function patchSqliteDatabase(Database: unknown, recorder: QueryRecorder): boolean {
  if (typeof Database !== 'function') return false;
  const seen = new WeakSet<object>();
  const patchStatement = (statement: unknown) => {
    if (statement === null || typeof statement !== 'object') return;
    const proto = Object.getPrototypeOf(statement) as object;
    if (seen.has(proto)) return;
    seen.add(proto);
    patchStatementPrototype(proto, recorder);
  };
  const prepared = wrapMethod(Database.prototype, 'prepare', (original) =>
    function prepare(this: unknown) {
      const statement = original.apply(this, arguments as unknown as unknown[]);
      try {
        patchStatement(statement);
      } catch {
        /* never into the app */
      }
      return statement;
    },
  );
  const exec = wrapMethod(Database.prototype, 'exec', (original) =>
    timed(recorder, original, (_self, args) => args[0], false),
  );
  return prepared || exec;
}
