import type { Pending, QueryRecorder } from '../recorder';
import { wrapMethod } from '../wrap';
import { batchCacheCount, batchText, beginRedis, cacheCount, callRecorded, commandText, isCacheRead, type CacheCounter } from './redis-text';

/**
 * ioredis 5.x and 6.x. `Redis.prototype.sendCommand` sees every command the app issues, on the
 * app's stack (`redis.get(key)` calls it synchronously). Commands a pipeline or MULTI sends
 * come through it too, with a stream marked `isPipeline`: those are left to
 * `Pipeline.prototype.exec`, which records the batch as one round trip.
 */

const kRecorded = Symbol('perfLens.redisRecorded');

interface RedisCommand {
  name?: unknown;
  args?: unknown;
  getKeys?: () => unknown;
  [kRecorded]?: boolean;
}

/** The keys a command touches: its own key table first, the first argument otherwise. */
function keysOf(command: RedisCommand): readonly unknown[] {
  try {
    const keys = typeof command.getKeys === 'function' ? command.getKeys() : undefined;
    if (Array.isArray(keys)) return keys;
  } catch {
    /* a command ioredis has no key table for */
  }
  const args = command.args;
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
      try {
        // once per command: the offline queue and reconnects send a command again
        if (command && typeof command.name === 'string' && !command[kRecorded] && !(stream && stream.isPipeline)) {
          command[kRecorded] = true;
          const keys = keysOf(command);
          const args = Array.isArray(command.args) ? command.args : undefined;
          pending = beginRedis(recorder, commandText(command.name, keys, args), sendCommand, args, keys.length);
          const name = command.name.toUpperCase();
          if (isCacheRead(name)) counter = (reply) => cacheCount(name, reply);
        }
      } catch {
        pending = null;
      }
      return callRecorded(recorder, pending, original, this, arguments, counter);
    },
  );
}

export function patchIoredisPipeline(exports: unknown, recorder: QueryRecorder): boolean {
  const Pipeline = (exports as { default?: unknown } | null)?.default ?? exports;
  if (typeof Pipeline !== 'function') return false;
  return wrapMethod(Pipeline.prototype, 'exec', (original) =>
    function exec(this: unknown) {
      let pending: Pending | null = null;
      let counter: CacheCounter = null;
      try {
        const queue = (this as { _queue?: unknown })._queue;
        if (Array.isArray(queue) && queue.length > 0) {
          const names = (queue as RedisCommand[]).map((c) => String(c.name).toUpperCase());
          pending = beginRedis(recorder, batchText(names, false), exec);
          // replies come as [error, value] pairs
          if (names.some(isCacheRead)) counter = (replies) => batchCacheCount(names, replies, (r) => (Array.isArray(r) ? r[1] : undefined));
        }
      } catch {
        pending = null;
      }
      return callRecorded(recorder, pending, original, this, arguments, counter);
    },
  );
}
