import type * as Inspector from 'node:inspector';

/**
 * The agent's one in-process inspector session, connected on first use and never
 * disconnected: a session's disconnect clears V8's heap object ids (measured on Node 20 and
 * 22), and the three-snapshot diff needs an object to keep its id from one snapshot to the next.
 */
let shared: Inspector.Session | null = null;

export function inspectorSession(): Inspector.Session {
  if (!shared) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const inspector = require('node:inspector') as typeof Inspector;
    shared = new inspector.Session();
    shared.connect();
  }
  return shared;
}

/**
 * One inspector call, with how long V8 held the thread for it (ms). post() runs its callback
 * synchronously, so the time is taken there; the promise settles on the next turn, because a
 * post() made inside another post's callback never completes on Node 20 and hangs the app. That
 * turn comes after the poll phase, whose requests are not the call's.
 */
export function inspectorPostTimed<T = unknown>(method: string, params: object = {}): Promise<{ result: T; ms: number }> {
  const session = inspectorSession();
  return new Promise((resolve, reject) => {
    const began = performance.now();
    session.post(method, params, (err, res) => {
      const ms = performance.now() - began;
      setImmediate(() => (err ? reject(err) : resolve({ result: res as T, ms })));
    });
  });
}

/** One inspector call (see inspectorPostTimed). */
export function inspectorPost<T = unknown>(method: string, params: object = {}): Promise<T> {
  return inspectorPostTimed<T>(method, params).then((r) => r.result);
}
