import { createRequire } from 'node:module';
import type { Pending, QueryRecorder } from '../recorder';
import { wrapMethod } from '../wrap';
import { callOf, describeParser, patchV4Commands, type Parser } from './node-redis';
import { handOff, partOf, type RedirectedSend } from './node-redis-handoff';
import { beginRedis, callRecorded, type CacheCounter, type RedisCall } from './redis-text';

/**
 * node-redis's cluster (`createCluster`, @redis/client's `lib/cluster/index.js`). A command the
 * app calls is routed to the client of the node serving its key's slot after an `await` (the
 * slot map may be loading), sent again there after MOVED, to another node after ASK, and in
 * 6.x split across nodes when its keys live on several. The app made one call: it is recorded
 * there, on the app's stack, once, ending when the cluster's answer settles; the node clients
 * it is handed to record nothing of it (node-redis-handoff.ts).
 *   6.x: `_executeWithPolicies(parser, isReadonly, options, makeFn)` per command; `makeFn(parser)`
 *        makes what runs on a node.
 *   5.x: `_execute(firstKey, isReadonly, options, fn)` per command; `fn(client, options)` runs it
 *        on a node, the parser inside it.
 *   4.x: one method per command on the cluster's prototype, as on its client (node-redis.ts).
 * MULTI and pipelines go to the one node their keys live on: the node client's batch methods
 * record them as one round trip, as for a single client; in 6.x a MULTI goes through `_execute`,
 * which may send it again after MOVED or ASK, and is recorded once for it (node-redis-handoff.ts's
 * partOf). 4.x and 5.x send a MULTI once: after a MOVED the app gets the error, and so does its record.
 */

type Fn = (this: unknown, ...args: unknown[]) => unknown;

/**
 * 5.x's `fn` only forwards the command to the node client it is given (`_executeCommand`,
 * `_executeScript` with the parser, or `sendCommand` with the arguments): a stand-in client
 * takes that call, so the command is known where the app called it.
 */
function parserHandedBy(fn: Fn): Parser | null {
  let seen: Parser | null = null;
  const standIn = {
    _executeCommand: (_command: unknown, parser: Parser) => void (seen = parser),
    _executeScript: (_script: unknown, parser: Parser) => void (seen = parser),
    sendCommand: (args: unknown) => void (seen = { redisArgs: args }),
  };
  try {
    fn(standIn, {});
  } catch {
    return null;
  }
  return seen;
}

/**
 * Wraps the cluster's per-command `name`: `describe` says what the app's call is (null: not
 * recorded, the node clients record as they would) and `handingOff` turns the arguments into
 * ones whose node hand-offs run with the node clients' recording off.
 */
function wrapClusterCall(
  proto: object,
  name: string,
  recorder: QueryRecorder,
  describe: (args: unknown[]) => RedisCall | null,
  handingOff: (args: unknown[]) => unknown[],
): boolean {
  return wrapMethod(proto, name, (original) =>
    function clusterCall(this: unknown, ...args: unknown[]) {
      let pending: Pending | null = null;
      let counter: CacheCounter = null;
      let sent: ArrayLike<unknown> = arguments;
      try {
        const call = describe(args);
        if (call !== null) {
          const handed = handingOff(args);
          pending = beginRedis(recorder, call.text, clusterCall, call.args, call.keys);
          counter = call.counter;
          sent = handed;
        }
      } catch {
        pending = null;
        sent = arguments;
      }
      return callRecorded(recorder, pending, original, this, sent, counter);
    },
  );
}

export function patchNodeRedisCluster(exports: unknown, recorder: QueryRecorder, filename?: string): boolean {
  const RedisCluster = (exports as { default?: unknown } | null)?.default ?? exports;
  if (typeof RedisCluster !== 'function') return false;
  const proto = RedisCluster.prototype as object;
  if ('_executeWithPolicies' in proto) {
    wrapMethod(proto, '_execute', (original) =>
      function execute(this: unknown, ...args: unknown[]) {
        if (typeof args[3] !== 'function') return original.apply(this, arguments as unknown as unknown[]);
        const send: RedirectedSend = { pending: null, settles: null };
        args[3] = partOf(send, args[3] as Fn);
        send.settles = original.apply(this, args);
        return send.settles;
      },
    );
    return wrapClusterCall(
      proto,
      '_executeWithPolicies',
      recorder,
      (args) => callOf(describeParser(args[0] as Parser)),
      (args) => {
        const makeFn = args[3];
        if (typeof makeFn !== 'function') throw new TypeError('no makeFn');
        const copy = args.slice();
        copy[3] = (parser: unknown) => handOff(makeFn(parser) as Fn);
        return copy;
      },
    );
  }
  if ('_execute' in proto) {
    return wrapClusterCall(
      proto,
      '_execute',
      recorder,
      (args) => (typeof args[3] === 'function' ? callOf(describeParser(parserHandedBy(args[3] as Fn))) : null),
      (args) => {
        const copy = args.slice();
        copy[3] = handOff(args[3] as Fn);
        return copy;
      },
    );
  }
  // 4.x: the cluster's command table beside it; its node clients get raw sendCommand calls
  if (!filename) return false;
  try {
    const commands = createRequire(filename)('./commands.js') as { default?: unknown };
    return patchV4Commands(proto, commands.default, recorder);
  } catch {
    return false;
  }
}
