import { createRequire } from 'node:module';
import type { QueryRecorder } from '../recorder';
import { isHandedOff, recordForRedirectedSend } from './node-redis-handoff';
import { batchCacheCount, batchText, commandText, isCacheRead, isClusterStateRead, nameInfo, wrapRedisCall, type CacheCounter, type RedisCall } from './redis-text';

/**
 * node-redis (`redis` 4.x on @redis/client 1.x; 5.x and 6.x). Every command method the app
 * calls runs, on the app's stack, through `_executeCommand(command, parser)` of RedisClient's
 * prototype from 5.x, whose parser holds the arguments and the keys. In 4.x each command
 * method is wrapped, its command module turning the app's arguments into Redis's. Pipelines and MULTI are one round trip each: `_executePipeline` and
 * `_executeMulti` from 5.x, `multiExecutor` in 4.x (a chain id marks a MULTI).
 *
 * A cluster (node-redis-cluster.ts) records each command where the app calls it and hands it
 * to a node's client, maybe several (a redirection, a command split across shards): those
 * hand-offs (node-redis-handoff.ts) are not recorded again here, nor the cluster client's own
 * ASKING and slot-map reads.
 */

/** Commands whose arguments are all keys. */
const ALL_KEYS = new Set(['MGET', 'DEL', 'UNLINK', 'EXISTS', 'TOUCH', 'WATCH']);

export interface Parser {
  redisArgs?: unknown;
  keys?: unknown;
}

interface V4Command {
  FIRST_KEY_INDEX?: unknown;
  transformArguments?: (...args: unknown[]) => unknown;
}

type Batch = ReadonlyArray<{ args?: unknown }>;

function namesOf(commands: unknown): string[] | null {
  if (!Array.isArray(commands) || commands.length === 0) return null;
  return (commands as Batch).map((c) => String(Array.isArray(c?.args) ? c.args[0] : '?').toUpperCase());
}

/** A described command as the wrapper records it: only reads get a cache counter. */
export function callOf(d: Described | null): RedisCall | null {
  return d === null ? null : { text: d.text, args: d.args, keys: d.keys, counter: nameInfo(d.name).counter };
}

export interface Described {
  /** the command's name, upper case */
  name: string;
  text: string;
  args: unknown[];
  keys: number;
}

/** A cluster client's own: the ASKING before a redirected command, its reads of the slot map. */
function isClustersOwn(name: string, args: readonly unknown[]): boolean {
  return name === 'ASKING' || (name === 'CLUSTER' && isClusterStateRead(args[0]));
}

/** 5.x: the parser filled by the command holds the arguments and which of them are keys. */
export function describeParser(parser: Parser | null | undefined): Described | null {
  const args = parser?.redisArgs;
  if (!Array.isArray(args) || args.length === 0) return null;
  const keys = Array.isArray(parser?.keys) ? parser.keys : [];
  const name = String(args[0]).toUpperCase();
  const rest = args.slice(1);
  if (isClustersOwn(name, rest)) return null;
  return { name, text: commandText(args[0], keys, rest), args: rest, keys: keys.length };
}

/** 4.x: the command module's arguments, after the command options the app may pass first. */
function describeV4(command: V4Command, appArgs: unknown[]): Described | null {
  if (typeof command?.transformArguments !== 'function') return null;
  const first = appArgs[0] as { [k: symbol]: unknown } | null;
  const isOptions = first !== null && typeof first === 'object' && Object.getOwnPropertySymbols(first).length > 0;
  const args = command.transformArguments(...(isOptions ? appArgs.slice(1) : appArgs));
  if (!Array.isArray(args) || args.length === 0) return null;
  const name = String(args[0]).toUpperCase();
  if (isClustersOwn(name, args.slice(1))) return null;
  const index = typeof command.FIRST_KEY_INDEX === 'number' ? command.FIRST_KEY_INDEX : 1;
  const keys = ALL_KEYS.has(name) ? args.slice(1) : index < args.length ? [args[index]] : [];
  return { name, text: commandText(name, keys), args: args.slice(1), keys: keys.length };
}

/**
 * 4.x attaches one method per command (`get`, `GET`, `hGetAll`, …) that calls the executor it
 * captured when the module loaded, before any patch: those methods are wrapped one by one,
 * each knowing its command module. `commands` is @redis/client's `lib/client/commands.js`.
 */
export function patchV4Commands(proto: object, commands: unknown, recorder: QueryRecorder): boolean {
  if (commands === null || typeof commands !== 'object') return false;
  let any = false;
  for (const [name, command] of Object.entries(commands as Record<string, V4Command>)) {
    any = wrapRedisCall(proto, name, recorder, (args) => callOf(describeV4(command, args))) || any;
  }
  return any;
}

export function patchNodeRedisClient(exports: unknown, recorder: QueryRecorder, filename?: string): boolean {
  const RedisClient = (exports as { default?: unknown } | null)?.default ?? exports;
  if (typeof RedisClient !== 'function') return false;
  const proto = RedisClient.prototype as object;
  const wrapped: boolean[] = [];
  // 4.x has no _executeCommand: its command table sits beside the client
  if (!('_executeCommand' in proto) && filename) {
    try {
      const commands = createRequire(filename)('./commands.js') as { default?: unknown };
      wrapped.push(patchV4Commands(proto, commands.default, recorder));
    } catch {
      /* another layout: batches are still seen */
    }
  }
  wrapped.push(wrapRedisCall(proto, '_executeCommand', recorder, (args) => (isHandedOff() ? null : callOf(describeParser(args[1] as Parser)))));
  /** `replies`: where the batch's result keeps the replies to its commands. */
  const batch = (name: string, isTransaction: (args: unknown[]) => boolean, replies: (result: unknown, args: unknown[]) => unknown) =>
    wrapRedisCall(proto, name, recorder, (args, _self, entry) => {
      const names = namesOf(args[0]);
      if (names === null) return null;
      const counter: CacheCounter = names.some(isCacheRead) ? (result) => batchCacheCount(names, replies(result, args)) : null;
      const call = { text: batchText(names, isTransaction(args)), counter };
      // sent for a cluster's send that follows redirections: recorded for it, once
      return recordForRedirectedSend(recorder, call, entry) ? null : call;
    });
  const same = (result: unknown) => result;
  wrapped.push(batch('_executePipeline', () => false, same));
  wrapped.push(batch('_executeMulti', () => true, same));
  // 4.x: (commands, selectedDB, chainId); a chain id is a MULTI, whose result is
  // [MULTI's reply, the QUEUED replies, EXEC's replies]; none a pipeline
  const v4Multi = (args: unknown[]) => args[2] !== undefined;
  wrapped.push(batch('multiExecutor', v4Multi, (result, args) => (v4Multi(args) && Array.isArray(result) ? result[2] : result)));
  return wrapped.some(Boolean);
}
