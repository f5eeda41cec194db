import type { Pending, QueryRecorder } from '../recorder';
import { wrapMethod } from '../wrap';
import { batchCacheCount, batchText, beginRedis, callRecorded, commandText, countInto, isCacheRead, nameInfo, wrapRedisCall, type CacheCounter } from './redis-text';

/**
 * ioredis 5.x and 6.x. `Redis.prototype.sendCommand` sees every command the app issues, on the
 * app's stack (`redis.get(key)` calls it synchronously). Commands a pipeline or MULTI sends
 * come through it too, with a stream marked `isPipeline`: those are left to
 * `Pipeline.prototype.exec`, which records the batch as one round trip.
 */

/**
 * Marks the resolve functions of ours (endInside): a command whose resolve carries it was
 * recorded already (the offline queue and reconnects send a command again). Not a property of
 * the Command: one added to ioredis's objects changes their shape, and its code slows down.
 */
const kOurs = Symbol('perfLens.redisEnd');
/** Commands recorded without endInside (a layout with no resolve to wrap). */
const recorded = new WeakSet<object>();

/** Commands of one key, their first argument: the key table's lookup skipped. */
const FIRST_ARG_KEY = new Set([
  'get', 'set', 'setex', 'getex', 'getdel', 'incr', 'incrby', 'decr', 'expire', 'pexpire', 'ttl', 'pttl', 'type',
  'hget', 'hgetall', 'hset', 'hmget', 'hincrby', 'hdel', 'hexists', 'hkeys', 'hvals', 'hlen',
  'sadd', 'srem', 'smembers', 'sismember', 'scard', 'zadd', 'zrem', 'zrange', 'zrangebyscore', 'zscore', 'zcard', 'zincrby',
  'lpush', 'rpush', 'lpop', 'rpop', 'lrange', 'llen', 'lindex', 'append', 'strlen', 'getrange', 'setnx',
]);
interface RedisCommand {
  name?: unknown;
  args?: unknown;
  getKeys?: () => unknown;
  resolve?: unknown;
  reject?: unknown;
}

/**
 * Ends the recording where the command settles, inside its own resolve and reject: no promise
 * of ours between the reply and the app (one fewer allocation and microtask per command).
 * False when this command has no such functions (another ioredis layout).
 */
function endInside(command: RedisCommand, recorder: QueryRecorder, pending: Pending, counter: CacheCounter): boolean {
  const resolve = command.resolve;
  const reject = command.reject;
  if (typeof resolve !== 'function' || typeof reject !== 'function') return false;
  const ours = (value: unknown) => {
    if (counter !== null) countInto(pending, counter, value);
    recorder.end(pending, false);
    return resolve(value);
  };
  (ours as unknown as Record<symbol, boolean>)[kOurs] = true;
  command.resolve = ours;
  command.reject = (err: unknown) => {
    recorder.end(pending, true);
    return reject(err);
  };
  return true;
}

/** The keys a command touches: its own key table first, the first argument otherwise. */
function keysOf(command: RedisCommand): readonly unknown[] {
  const args = command.args;
  if (Array.isArray(args) && args.length > 0 && FIRST_ARG_KEY.has(command.name as string)) return [args[0]];
  try {
    const keys = typeof command.getKeys === 'function' ? command.getKeys() : undefined;
    if (Array.isArray(keys)) return keys;
  } catch {
    /* a command ioredis has no key table for */
  }
  return Array.isArray(args) && args.length > 0 ? [args[0]] : [];
}

export function patchIoredisClient(exports: unknown, recorder: QueryRecorder): boolean {
  const Redis = (exports as { default?: unknown } | null)?.default ?? exports;
  if (typeof Redis !== 'function') return false;
  return wrapMethod(Redis.prototype, 'sendCommand', (original) =>
    function sendCommand(this: unknown, ...args: unknown[]) {
      const command = args[0] as RedisCommand | undefined;
      const stream = args[1] as { isPipeline?: unknown } | undefined;
      let pending: Pending | null = null;
      let counter: CacheCounter = null;
      /** recorded, ending inside the command's own resolve and reject */
      let inside: Pending | null = null;
      try {
        // once per command: the offline queue and reconnects send a command again
        if (
          command &&
          typeof command.name === 'string' &&
          !(stream && stream.isPipeline) &&
          // recorded already: its resolve is ours, or (a layout without one) it is in `recorded`
          (typeof command.resolve === 'function' ? !(command.resolve as unknown as Record<symbol, unknown>)[kOurs] : !recorded.has(command))
        ) {
          const keys = keysOf(command);
          const args = Array.isArray(command.args) ? command.args : undefined;
          pending = beginRedis(recorder, commandText(command.name, keys, args), sendCommand, args, keys.length);
          counter = nameInfo(command.name).counter;
          if (endInside(command, recorder, pending, counter)) {
            inside = pending;
            pending = null;
          } else recorded.add(command);
        }
      } catch {
        pending = null;
      }
      if (inside !== null) {
        try {
          return original.apply(this, arguments as unknown as unknown[]);
        } catch (err) {
          recorder.end(inside, true);
          throw err;
        }
      }
      return callRecorded(recorder, pending, original, this, arguments, counter);
    },
  );
}

export function patchIoredisPipeline(exports: unknown, recorder: QueryRecorder): boolean {
  const Pipeline = (exports as { default?: unknown } | null)?.default ?? exports;
  if (typeof Pipeline !== 'function') return false;
  return wrapRedisCall(Pipeline.prototype as object, 'exec', recorder, (_args, pipeline) => {
    const queue = (pipeline as { _queue?: unknown } | null)?._queue;
    if (!Array.isArray(queue) || queue.length === 0) return null;
    const names = (queue as RedisCommand[]).map((c) => String(c.name).toUpperCase());
    // replies come as [error, value] pairs
    const counter: CacheCounter = names.some(isCacheRead) ? (replies) => batchCacheCount(names, replies, (r) => (Array.isArray(r) ? r[1] : undefined)) : null;
    return { text: batchText(names, false), counter };
  });
}
