import type { Pending, QueryRecorder } from '../recorder';
import { endingPromise, isThenable, wrapMethod } from '../wrap';

/**
 * ioredis 5.x and 6.x. `Redis.prototype.sendCommand` sees every command the app issues, on the
 * app's stack (`redis.get(key)` calls it synchronously), with its reply on `command.promise`.
 * Commands a pipeline or MULTI sends come through it too, with a stream marked `isPipeline`:
 * those are left to `Pipeline.prototype.exec`, which records the batch as one round trip.
 *
 * The text is the command and its keys (`GET user:42:profile`), never its values: the core
 * turns keys into patterns (`user:?:profile`) for findings and tells repeats of one key from
 * a loop over many.
 */

const kRecorded = Symbol('perfLens.redisRecorded');
/** Keys named in one text: an MGET of thousands says what it is with these. */
const MAX_KEYS = 16;

interface RedisCommand {
  name?: unknown;
  args?: unknown;
  promise?: unknown;
  getKeys?: () => unknown;
  [kRecorded]?: boolean;
}

interface PipelineLike {
  _queue?: unknown;
}

function keyText(key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number') return String(key);
  return Buffer.isBuffer(key) ? key.toString('latin1') : '?';
}

/** The keys a command touches: its own key table first, the first argument otherwise. */
function keysOf(command: RedisCommand): unknown[] {
  try {
    const keys = typeof command.getKeys === 'function' ? command.getKeys() : undefined;
    if (Array.isArray(keys)) return keys;
  } catch {
    /* a command ioredis has no key table for */
  }
  const args = command.args;
  return Array.isArray(args) && args.length > 0 ? [args[0]] : [];
}

/** `GET user:42:profile`: the command and its keys; past MAX_KEYS, how many more (`+984`). */
export function commandText(command: RedisCommand): string {
  const name = String(command.name).toUpperCase();
  const keys = keysOf(command);
  let text = name;
  for (let i = 0; i < keys.length && i < MAX_KEYS; i++) text += ` ${keyText(keys[i])}`;
  if (keys.length > MAX_KEYS) text += ` +${keys.length - MAX_KEYS}`;
  return text;
}

/** The call-site cache's name for a command: digit runs of its keys folded, as a loop over ids varies them. */
function siteKeyOf(text: string): string {
  return text.replace(/\d+/g, '#');
}

/** `PIPELINE HGETALL*20` or `MULTI GET*2 SET*1`: one round trip, its commands counted by name. */
function batchText(queue: RedisCommand[]): string {
  let transaction = false;
  const counts = new Map<string, number>();
  for (const c of queue) {
    const name = String(c.name).toUpperCase();
    if (name === 'MULTI') transaction = true;
    else if (name !== 'EXEC') counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  let text = transaction ? 'MULTI' : 'PIPELINE';
  for (const [name, n] of counts) text += ` ${name}*${n}`;
  return text;
}

/** The app's promise, settling as before once the command is recorded as ended. */
function ending(recorder: QueryRecorder, pending: Pending, result: unknown): unknown {
  if (isThenable(result)) return endingPromise(recorder, pending, result);
  recorder.end(pending, false);
  return result;
}

export function patchIoredisClient(exports: unknown, recorder: QueryRecorder): boolean {
  const Redis = (exports as { default?: unknown } | null)?.default ?? exports;
  if (typeof Redis !== 'function') return false;
  return wrapMethod(Redis.prototype, 'sendCommand', (original) =>
    function sendCommand(this: unknown, ...args: unknown[]) {
      const command = args[0] as RedisCommand;
      const stream = args[1] as { isPipeline?: unknown } | undefined;
      let pending: Pending | null = null;
      try {
        // once per command: the offline queue and reconnects send a command again
        if (command && typeof command.name === 'string' && !command[kRecorded] && !(stream && stream.isPipeline)) {
          command[kRecorded] = true;
          const text = commandText(command);
          pending = recorder.begin('redis', text, undefined, sendCommand, siteKeyOf(text));
        }
      } catch {
        pending = null;
      }
      if (pending === null) return original.apply(this, arguments as unknown as unknown[]);
      let result: unknown;
      try {
        result = original.apply(this, arguments as unknown as unknown[]);
      } catch (err) {
        recorder.end(pending, true);
        throw err;
      }
      return ending(recorder, pending, result);
    },
  );
}

export function patchIoredisPipeline(exports: unknown, recorder: QueryRecorder): boolean {
  const Pipeline = (exports as { default?: unknown } | null)?.default ?? exports;
  if (typeof Pipeline !== 'function') return false;
  return wrapMethod(Pipeline.prototype, 'exec', (original) =>
    function exec(this: unknown) {
      let pending: Pending | null = null;
      try {
        const queue = (this as PipelineLike)._queue;
        if (Array.isArray(queue) && queue.length > 0) {
          const text = batchText(queue as RedisCommand[]);
          pending = recorder.begin('redis', text, undefined, exec);
        }
      } catch {
        pending = null;
      }
      if (pending === null) return original.apply(this, arguments as unknown as unknown[]);
      let result: unknown;
      try {
        result = original.apply(this, arguments as unknown as unknown[]);
      } catch (err) {
        recorder.end(pending, true);
        throw err;
      }
      return ending(recorder, pending, result);
    },
  );
}
