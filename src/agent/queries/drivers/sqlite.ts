import type { Pending, QueryRecorder } from '../recorder';
import { wrapMethod } from '../wrap';

/**
 * better-sqlite3: synchronous, so a query's time is the call's. Statements come from the
 * native addon; their prototype is reached through the first `prepare` and patched once.
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

export function patchSqliteDatabase(Database: unknown, recorder: QueryRecorder): boolean {
  if (typeof Database !== 'function') return false;
  let statementsPatched = false;
  const patchStatement = (statement: unknown) => {
    if (statementsPatched || statement === null || typeof statement !== 'object') return;
    statementsPatched = true;
    const proto = Object.getPrototypeOf(statement) as object;
    for (const name of ['run', 'get', 'all', 'iterate']) {
      wrapMethod(proto, name, (original) => timed(recorder, original, statementSql, true));
    }
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
