import type { Pending, QueryRecorder } from '../recorder';
import { endingPromise, isThenable, wrapMethod } from '../wrap';

/**
 * The text a Redis command is recorded with, for every client: the command and its keys
 * (`GET user:42:profile`), never its values. The core turns keys into patterns
 * (`user:?:profile`) for findings and tells repeats of one key from a loop over many.
 */

/** Keys named in one text: an MGET of thousands says what it is with these and a count. */
const MAX_KEYS = 16;

function keyText(key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number') return String(key);
  return Buffer.isBuffer(key) ? key.toString('latin1') : '?';
}

/**
 * `GET user:42:profile`; past MAX_KEYS, how many more (`MGET k1 … k16 +984`). KEYS has no key
 * but its pattern says what it walks: `args`, the arguments after the name, give it.
 */
export function commandText(name: unknown, keys: readonly unknown[], args?: readonly unknown[]): string {
  let text = keyText(name).toUpperCase();
  if (keys.length === 0 && text === 'KEYS' && args && args.length > 0) keys = [args[0]];
  for (let i = 0; i < keys.length && i < MAX_KEYS; i++) text += ` ${keyText(keys[i])}`;
  if (keys.length > MAX_KEYS) text += ` +${keys.length - MAX_KEYS}`;
  return text;
}

/**
 * CLUSTER SLOTS, SHARDS, NODES and INFO: cluster clients read the slot map and the cluster's
 * state themselves (on connect, after a MOVED, every few seconds), on no line of the app's.
 */
export function isClusterStateRead(subcommand: unknown): boolean {
  const sub = keyText(subcommand).toUpperCase();
  return sub === 'SLOTS' || sub === 'SHARDS' || sub === 'NODES' || sub === 'INFO';
}

/** `PIPELINE HGETALL*20` or `MULTI GET*2 SET*1`: one round trip, its commands counted by name. */
export function batchText(names: Iterable<unknown>, transaction: boolean): string {
  const counts = new Map<string, number>();
  for (const n of names) {
    const name = keyText(n).toUpperCase();
    if (name === 'MULTI') transaction = true;
    else if (name !== 'EXEC') counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  let text = transaction ? 'MULTI' : 'PIPELINE';
  for (const [name, n] of counts) text += ` ${name}*${n}`;
  return text;
}

/**
 * The call-site cache's name for a command: its text up to the first digit, as a loop over ids
 * varies what follows (`GET user:` for `GET user:42:profile`). A character scan: a regular
 * expression here cost more than the rest of the command's capture.
 */
export function siteKeyOf(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) return text.slice(0, i);
  }
  return text;
}

/**
 * A digest of a command's arguments beyond its keys (a hash field, a score range, a value):
 * two HGETs of one key and different fields are not a duplicate read, and no value leaves the
 * process. FNV-1a, 32 bits.
 */
export function argsDigest(args: readonly unknown[]): string {
  let h = 0x811c9dc5;
  for (const a of args) {
    const s = keyText(a);
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0x1f, 0x01000193);
  }
  return `#${(h >>> 0).toString(16).padStart(8, '0')}`;
}

/**
 * Starts recording a command or batch the app issued through `entry`. `args`: all its
 * arguments after the name, when they are more than its keys (see argsDigest).
 */
export function beginRedis(recorder: QueryRecorder, text: string, entry: Function, args?: readonly unknown[], keyCount = 0): Pending {
  const values = args !== undefined && args.length > keyCount ? [argsDigest(args)] : undefined;
  return recorder.begin('redis', text, values, entry, siteKeyOf(text));
}

/** Reads whose nil reply is a cache miss; the M-forms count one per key or field. */
const SINGLE_READS = new Set(['GET', 'GETEX', 'GETDEL', 'HGET', 'HGETALL', 'JSON.GET']);
const MULTI_READS = new Set(['MGET', 'HMGET']);

function found(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (value instanceof Map) return value.size > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const _ in value) return true; // eslint-disable-line no-unreachable-loop
    return false;
  }
  return true;
}

export function isCacheRead(name: string): boolean {
  return SINGLE_READS.has(name) || MULTI_READS.has(name);
}

interface NameInfo {
  upper: string;
  counter: CacheCounter;
}
const names = new Map<string, NameInfo>();

/**
 * A command name's upper case and, for reads, its cache counter: made once per name (a client
 * uses a few dozen), not once per command.
 */
export function nameInfo(name: string): NameInfo {
  let info = names.get(name);
  if (info === undefined) {
    const upper = name.toUpperCase();
    info = { upper, counter: isCacheRead(upper) ? (reply) => cacheCount(upper, reply) : null };
    if (names.size < 1024) names.set(name, info);
  }
  return info;
}

/** What a read found, as [hits, misses]; null for a command that is no cache read. */
export function cacheCount(name: string, reply: unknown): [number, number] | null {
  if (SINGLE_READS.has(name)) return found(reply) ? [1, 0] : [0, 1];
  if (MULTI_READS.has(name) && Array.isArray(reply)) {
    let hits = 0;
    for (const v of reply) if (found(v)) hits++;
    return [hits, reply.length - hits];
  }
  return null;
}

/**
 * A batch's reads, its replies in the order of `names` (MULTI and EXEC left out when the
 * replies leave them out); `unwrap` takes a reply out of the client's envelope.
 */
export function batchCacheCount(names: readonly string[], replies: unknown, unwrap: (r: unknown) => unknown = (r) => r): [number, number] | null {
  if (!Array.isArray(replies)) return null;
  let list = names;
  if (replies.length !== list.length) list = names.filter((n) => n !== 'MULTI' && n !== 'EXEC');
  if (replies.length !== list.length) return null;
  let hits = 0;
  let misses = 0;
  let any = false;
  for (let i = 0; i < list.length; i++) {
    const c = cacheCount(list[i], unwrap(replies[i]));
    if (c === null) continue;
    any = true;
    hits += c[0];
    misses += c[1];
  }
  return any ? [hits, misses] : null;
}

/** How a command's or batch's reply becomes a cache count; null when it is no cache read. */
export type CacheCounter = ((reply: unknown) => [number, number] | null) | null;

/** Sets a pending read's hits and misses from its reply; an unexpected reply shape counts nothing. */
export function countInto(pending: Pending, counter: NonNullable<CacheCounter>, reply: unknown): void {
  try {
    const c = counter(reply);
    if (c !== null) {
      pending.cacheHits = c[0];
      pending.cacheMisses = c[1];
    }
  } catch {
    /* no count */
  }
}

/**
 * Calls the client's method and returns its result, recorded as ended when it settles, with
 * what its reads found: the app's promise settles as before (unhandled rejections stay
 * unhandled, with the very same reason).
 */
export function callRecorded(recorder: QueryRecorder, pending: Pending | null, original: Function, self: unknown, args: ArrayLike<unknown>, counter: CacheCounter = null): unknown {
  if (pending === null) return original.apply(self, args);
  let result: unknown;
  try {
    result = original.apply(self, args);
  } catch (err) {
    recorder.end(pending, true);
    throw err;
  }
  if (!isThenable(result)) {
    recorder.end(pending, false);
    return result;
  }
  return endingPromise(recorder, pending, result, counter === null ? undefined : (value) => countInto(pending, counter, value));
}

/** What one call of a client's method is recorded as; `args` and `keys` as beginRedis takes them. */
export interface RedisCall {
  text: string;
  args?: readonly unknown[];
  keys?: number;
  counter: CacheCounter;
}

/**
 * Wraps `proto[name]` so that each call the app makes is recorded as `describe(args, this,
 * wrapper)` says (null: not recorded), ending when the call settles. The wrapper is the frame
 * the call site is looked for below.
 */
export function wrapRedisCall(
  proto: object,
  name: string,
  recorder: QueryRecorder,
  describe: (args: unknown[], self: unknown, entry: Function) => RedisCall | null,
): boolean {
  return wrapMethod(proto, name, (original) =>
    function redisCall(this: unknown, ...args: unknown[]) {
      let pending: Pending | null = null;
      let counter: CacheCounter = null;
      try {
        const call = describe(args, this, redisCall);
        if (call !== null) {
          pending = beginRedis(recorder, call.text, redisCall, call.args, call.keys);
          counter = call.counter;
        }
      } catch {
        pending = null;
      }
      return callRecorded(recorder, pending, original, this, arguments, counter);
    },
  );
}
