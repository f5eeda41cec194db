import type { Pending, QueryRecorder } from '../recorder';
import { isThenable, wrapMethod } from '../wrap';
import { FIRST_ARG_KEY, keysOf, markAutoPipelines, type RedisCommand } from './ioredis';
import { beginRedis, commandText, countInto, nameInfo, type CacheCounter } from './redis-text';

/**
 * ioredis's `enableAutoPipelining`: `redis.get(key)` goes to `executeWithAutoPipelining`
 * (built/autoPipelining.js), which queues the command into a pipeline the client sends on the
 * next turn of the event loop with the commands queued meanwhile. Each is still a call of the
 * app's, on its own line and in its own request: it is recorded as one command from that call
 * to its reply (the wait for the batch included, which the app waits too), and the pipelines
 * it rode in are not (Pipeline's exec leaves those marked with the module's `kExec`).
 */

interface AutoCall {
  /** the queuing wrapper the app's call entered: the call site is looked for above it */
  entry: Function;
  pending: Pending | null;
  counter: CacheCounter;
}

/** The app's call being queued right now: the pipeline's `sendCommand` names its command. */
let queuing: AutoCall | null = null;

/** Commands whose arguments are all keys, for a command queued before a cluster knew its slots. */
const ALL_KEYS = new Set(['mget', 'del', 'unlink', 'exists', 'touch', 'watch']);

/**
 * The text of a command the cluster queued to wait for its slots, from the app's arguments:
 * flattened as ioredis flattens them, its keys by name (one, all, or none).
 */
function waitingText(commandName: string, args: unknown[]): { text: string; args: unknown[]; keys: number } {
  const flat = args.flat();
  const name = commandName.toLowerCase();
  const keys = ALL_KEYS.has(name) ? flat : FIRST_ARG_KEY.has(name) && flat.length > 0 ? [flat[0]] : [];
  return { text: commandText(name, keys, flat), args: flat, keys: keys.length };
}

export function patchIoredisAutoPipelining(exports: unknown, recorder: QueryRecorder): boolean {
  if (exports === null || typeof exports !== 'object') return false;
  markAutoPipelines((exports as { kExec?: unknown }).kExec);
  return wrapMethod(exports, 'executeWithAutoPipelining', (original) =>
    function executeWithAutoPipelining(this: unknown, _client: unknown, _functionName: unknown, commandName: unknown, args: unknown) {
      const call: AutoCall = { entry: executeWithAutoPipelining, pending: null, counter: null };
      const outer = queuing;
      queuing = call;
      let result: unknown;
      try {
        result = original.apply(this, arguments as unknown as unknown[]);
      } catch (err) {
        if (call.pending !== null) recorder.end(call.pending, true);
        throw err;
      } finally {
        queuing = outer;
      }
      try {
        // a cluster that does not know its slots yet queues the call for later
        if (call.pending === null && typeof commandName === 'string' && Array.isArray(args)) {
          const waiting = waitingText(commandName, args);
          call.pending = beginRedis(recorder, waiting.text, executeWithAutoPipelining, waiting.args, waiting.keys);
          call.counter = nameInfo(commandName).counter;
        }
        const pending = call.pending;
        if (pending === null) return result;
        if (!isThenable(result)) recorder.end(pending, false);
        else {
          // beside the app's promise, not in front of it: a callback-style caller ignores it
          const counter = call.counter;
          result.then(
            (value) => {
              if (counter !== null) countInto(pending, counter, value);
              recorder.end(pending, false);
            },
            () => recorder.end(pending, true),
          );
        }
      } catch {
        /* never into the app */
      }
      return result;
    },
  );
}

/**
 * `Pipeline.prototype.sendCommand`: while the app's call is being queued, the command it
 * queues is that call's, recorded from the app's stack (the queuing wrapper above it).
 */
export function patchIoredisPipelineQueue(exports: unknown, recorder: QueryRecorder): boolean {
  const Pipeline = (exports as { default?: unknown } | null)?.default ?? exports;
  if (typeof Pipeline !== 'function') return false;
  return wrapMethod(Pipeline.prototype as object, 'sendCommand', (original) =>
    function sendCommand(this: unknown, command: RedisCommand | undefined) {
      const call = queuing;
      if (call !== null && call.pending === null) {
        try {
          if (command && typeof command.name === 'string') {
            const keys = keysOf(command);
            const args = Array.isArray(command.args) ? command.args : undefined;
            call.pending = beginRedis(recorder, commandText(command.name, keys, args), call.entry, args, keys.length);
            call.counter = nameInfo(command.name).counter;
          }
        } catch {
          /* not recorded */
        }
      }
      return original.apply(this, arguments as unknown as unknown[]);
    },
  );
}
