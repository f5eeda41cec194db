import type { Pending, QueryRecorder } from '../recorder';
import { endingPromise, isThenable } from '../wrap';

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

/** `GET user:42:profile`; past MAX_KEYS, how many more (`MGET k1 … k16 +984`). */
export function commandText(name: unknown, keys: readonly unknown[]): string {
  let text = keyText(name).toUpperCase();
  for (let i = 0; i < keys.length && i < MAX_KEYS; i++) text += ` ${keyText(keys[i])}`;
  if (keys.length > MAX_KEYS) text += ` +${keys.length - MAX_KEYS}`;
  return text;
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

/** The call-site cache's name for a command: digit runs of its keys folded, as a loop over ids varies them. */
export function siteKeyOf(text: string): string {
  return text.replace(/\d+/g, '#');
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

/**
 * Calls the client's method and returns its result, recorded as ended when it settles: the
 * app's promise settles as before (unhandled rejections stay unhandled).
 */
export function callRecorded(recorder: QueryRecorder, pending: Pending | null, original: Function, self: unknown, args: IArguments): unknown {
  if (pending === null) return original.apply(self, args);
  let result: unknown;
  try {
    result = original.apply(self, args);
  } catch (err) {
    recorder.end(pending, true);
    throw err;
  }
  if (isThenable(result)) return endingPromise(recorder, pending, result);
  recorder.end(pending, false);
  return result;
}
