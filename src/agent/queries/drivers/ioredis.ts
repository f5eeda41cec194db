import type { Pending, QueryRecorder } from '../recorder';
import { isThenable, wrapMethod } from '../wrap';
import { batchCacheCount, batchText, beginRedis, callRecorded, commandText, countInto, isCacheRead, isClusterStateRead, nameInfo, type CacheCounter } from './redis-text';

/**
 * ioredis 5.x and 6.x. `Redis.prototype.sendCommand` sees every command the app issues, on the
 * app's stack (`redis.get(key)` calls it synchronously). Commands a pipeline or MULTI sends
 * come through it too, with a stream marked `isPipeline`: those are left to
 * `Pipeline.prototype.exec`, which records the batch as one round trip.
 *
 * `Redis.Cluster` routes each command through its own `sendCommand` to the `Redis` of the
 * node serving the key's slot, at once or (before the slots are known) from its offline
 * queue, and again after a MOVED or ASK reply: the command is recorded at the cluster's
 * `sendCommand`, on the app's stack, once, ending when its last try settles. A pipeline or
 * MULTI in a cluster goes to the one node serving its keys (ioredis refuses one spanning
 * nodes): one round trip, recorded once however often a MOVED makes it resend. Auto-pipelining
 * (ioredis-autopipeline.ts) queues commands into pipelines of its own: each is recorded as the
 * app's own command, and those pipelines are not.
 */

/**
 * Marks the resolve functions of ours (endInside): a command whose resolve carries it was
 * recorded already (the offline queue, reconnects and cluster redirections send a command
 * again). Not a property of the Command: one added to ioredis's objects changes their shape,
 * and its code slows down.
 */
const kOurs = Symbol('perfLens.redisEnd');
/** Commands recorded without endInside (a layout with no resolve to wrap). */
const recorded = new WeakSet<object>();

/** Commands of one key, their first argument: the key table's lookup skipped. */
export const FIRST_ARG_KEY = new Set([
  'get', 'set', 'setex', 'getex', 'getdel', 'incr', 'incrby', 'decr', 'expire', 'pexpire', 'ttl', 'pttl', 'type',
  'hget', 'hgetall', 'hset', 'hmget', 'hincrby', 'hdel', 'hexists', 'hkeys', 'hvals', 'hlen',
  'sadd', 'srem', 'smembers', 'sismember', 'scard', 'zadd', 'zrem', 'zrange', 'zrangebyscore', 'zscore', 'zcard', 'zincrby',
  'lpush', 'rpush', 'lpop', 'rpop', 'lrange', 'llen', 'lindex', 'append', 'strlen', 'getrange', 'setnx',
]);

/**
 * What ioredis sends on a connection being set up (status `connect`) before the app's commands
 * may go: its HANDSHAKE_COMMANDS (AUTH, SELECT, CLIENT SETNAME/SETINFO, READONLY), INFO for the
 * ready check, HELLO (6.x). The library's, not the app's: no line of the app sent them.
 */
const HANDSHAKE = new Set(['auth', 'select', 'client', 'readonly', 'info', 'hello']);

export interface RedisCommand {
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
export function keysOf(command: RedisCommand): readonly unknown[] {
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

/** Not recorded yet: its resolve is not ours, or (a layout without one) it is not in `recorded`. */
function isNew(command: RedisCommand): boolean {
  return typeof command.resolve === 'function' ? !(command.resolve as unknown as Record<symbol, unknown>)[kOurs] : !recorded.has(command);
}

/**
 * The client's own commands, sent by no line of the app: the handshake of a connection, the
 * cluster's reads of its slot map (at connect, after MOVED, every few seconds) and the ASKING
 * before a command an ASK redirected.
 */
function isClientsOwn(command: RedisCommand, status: unknown): boolean {
  const name = command.name as string;
  if (name === 'asking') return true;
  if (name === 'cluster') return isClusterStateRead(Array.isArray(command.args) ? command.args[0] : undefined);
  return status === 'connect' && HANDSHAKE.has(name);
}

/** `cluster.quit()` quits every node's connection: the app's one call, no command of its own. */
let quittingCluster = 0;

/** A command to record: the app's, not a pipeline's, not recorded yet, not the client's own. */
function isAppCommand(command: RedisCommand | undefined, stream: { isPipeline?: unknown } | undefined, status: unknown): command is RedisCommand & { name: string } {
  return !!command && typeof command.name === 'string' && !(stream && stream.isPipeline) && isNew(command) && quittingCluster === 0 && !isClientsOwn(command, status);
}

/** A `sendCommand(command, stream, …)` that records each command the app sends once. */
function recordingSendCommand(recorder: QueryRecorder, original: (this: unknown, ...args: unknown[]) => unknown) {
  return function sendCommand(this: unknown, ...args: unknown[]) {
    let pending: Pending | null = null;
    let counter: CacheCounter = null;
    /** recorded, ending inside the command's own resolve and reject */
    let inside: Pending | null = null;
    try {
      const command = args[0] as RedisCommand | undefined;
      if (isAppCommand(command, args[1] as { isPipeline?: unknown } | undefined, (this as { status?: unknown } | null)?.status)) {
        const keys = keysOf(command);
        const commandArgs = Array.isArray(command.args) ? command.args : undefined;
        pending = beginRedis(recorder, commandText(command.name, keys, commandArgs), sendCommand, commandArgs, keys.length);
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
  };
}

export function patchIoredisClient(exports: unknown, recorder: QueryRecorder): boolean {
  const Redis = (exports as { default?: unknown } | null)?.default ?? exports;
  if (typeof Redis !== 'function') return false;
  return wrapMethod(Redis.prototype, 'sendCommand', (original) => recordingSendCommand(recorder, original));
}

/** `built/cluster/index.js`: the cluster's `sendCommand` records, the nodes' see the command as recorded. */
export function patchIoredisCluster(exports: unknown, recorder: QueryRecorder): boolean {
  const Cluster = (exports as { default?: unknown } | null)?.default ?? exports;
  if (typeof Cluster !== 'function') return false;
  const sends = wrapMethod(Cluster.prototype, 'sendCommand', (original) => recordingSendCommand(recorder, original));
  wrapMethod(Cluster.prototype, 'quit', (original) =>
    function quit(this: unknown) {
      quittingCluster++;
      try {
        return original.apply(this, arguments as unknown as unknown[]);
      } finally {
        quittingCluster--;
      }
    },
  );
  return sends;
}

/** Pipelines recorded already: exec runs again on a retry after MOVED, after the cluster's slots came, and inside MULTI's own exec. */
const executed = new WeakSet<object>();
/** What marks the pipelines auto-pipelining makes (its `kExec`), one per ioredis copy. */
const autoPipelineMarks: symbol[] = [];

export function markAutoPipelines(mark: unknown): void {
  if (typeof mark === 'symbol' && !autoPipelineMarks.includes(mark)) autoPipelineMarks.push(mark);
}

function isAutoPipeline(pipeline: Record<symbol, unknown>): boolean {
  for (const mark of autoPipelineMarks) if (pipeline[mark] !== undefined) return true;
  return false;
}

interface PipelineLike {
  _queue?: unknown;
  promise?: unknown;
}

/**
 * The batch a pipeline's first exec sends: `PIPELINE GET*2`, `MULTI SET*1 GET*1`. Its replies
 * come as [error, value] pairs; a MULTI's reads reply inside EXEC's, the last pair.
 */
function describePipeline(pipeline: PipelineLike): { text: string; counter: CacheCounter } | null {
  const queue = pipeline._queue;
  if (!Array.isArray(queue) || queue.length === 0) return null;
  const names = (queue as RedisCommand[]).map((c) => String(c.name).toUpperCase());
  const transaction = names[0] === 'MULTI';
  const counter: CacheCounter = !names.some(isCacheRead)
    ? null
    : transaction
      ? (result) => (Array.isArray(result) && result.length > 0 ? batchCacheCount(names, (result[result.length - 1] as unknown[] | undefined)?.[1]) : null)
      : (result) => batchCacheCount(names, result, (r) => (Array.isArray(r) ? r[1] : undefined));
  return { text: batchText(names, transaction), counter };
}

/**
 * `Pipeline.prototype.exec`: a pipeline or MULTI is one round trip, recorded at its first exec
 * (the app's call) and ended when the pipeline's own promise settles, whichever exec sent it.
 */
export function patchIoredisPipeline(exports: unknown, recorder: QueryRecorder): boolean {
  const Pipeline = (exports as { default?: unknown } | null)?.default ?? exports;
  if (typeof Pipeline !== 'function') return false;
  return wrapMethod(Pipeline.prototype as object, 'exec', (original) =>
    function exec(this: unknown) {
      const pipeline = this as PipelineLike;
      let pending: Pending | null = null;
      let counter: CacheCounter = null;
      try {
        if (pipeline !== null && typeof pipeline === 'object' && !executed.has(pipeline) && !isAutoPipeline(pipeline as Record<symbol, unknown>)) {
          executed.add(pipeline);
          const batch = describePipeline(pipeline);
          if (batch !== null) {
            pending = beginRedis(recorder, batch.text, exec);
            counter = batch.counter;
          }
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
      const done = pending;
      const settles = isThenable(pipeline.promise) ? pipeline.promise : result;
      if (isThenable(settles)) {
        settles.then(
          (value) => {
            if (counter !== null) countInto(done, counter, value);
            recorder.end(done, false);
          },
          () => recorder.end(done, true),
        );
      } else recorder.end(done, false);
      return result;
    },
  );
}
