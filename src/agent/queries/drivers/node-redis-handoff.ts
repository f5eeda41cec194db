import type { Pending, QueryRecorder } from '../recorder';
import { isThenable } from '../wrap';
import { beginRedis, countInto, type RedisCall } from './redis-text';

/**
 * What a node-redis cluster tells the clients of its nodes while it hands them the app's
 * commands (node-redis-cluster.ts): set synchronously around each hand-off, read by the node
 * clients' wrappers (node-redis.ts) at the start of the call they make.
 */

/** >0 while a cluster hands a command it recorded itself to a node's client. */
let handingOff = 0;

/** True inside a hand-off of a command the cluster recorded: the node client records nothing. */
export function isHandedOff(): boolean {
  return handingOff > 0;
}

/** `fn`, run with the node clients' recording off: the cluster recorded the command. */
export function handOff<F extends (...args: never[]) => unknown>(fn: F): F {
  return function handedOff(this: unknown) {
    handingOff++;
    try {
      return fn.apply(this, arguments as unknown as Parameters<F>);
    } finally {
      handingOff--;
    }
  } as F;
}

/**
 * A cluster's send that follows redirections (6.x `_execute`, which MULTI goes through): the
 * first batch it hands to a node is recorded for it, and ends when the send settles; the same
 * batch sent again after MOVED or ASK is not recorded again.
 */
export interface RedirectedSend {
  pending: Pending | null;
  /** what the cluster's send returned: the batch's record ends when it settles */
  settles: unknown;
}

let sending: RedirectedSend | null = null;

/** `fn` (a hand-off to a node's client) run as part of `send`. */
export function partOf<F extends (...args: never[]) => unknown>(send: RedirectedSend, fn: F): F {
  return function sent(this: unknown) {
    const outer = sending;
    sending = send;
    try {
      return fn.apply(this, arguments as unknown as Parameters<F>);
    } finally {
      sending = outer;
    }
  } as F;
}

/**
 * Inside a redirected send, records `call` (made through `entry`) for it, on its first try
 * only, ending when the send settles; true when the caller must not record it itself.
 */
export function recordForRedirectedSend(recorder: QueryRecorder, call: RedisCall, entry: Function): boolean {
  const send = sending;
  if (send === null) return false;
  if (send.pending !== null || !isThenable(send.settles)) return true;
  const pending = beginRedis(recorder, call.text, entry);
  send.pending = pending;
  const counter = call.counter;
  send.settles.then(
    (value) => {
      if (counter !== null) countInto(pending, counter, value);
      recorder.end(pending, false);
    },
    () => recorder.end(pending, true),
  );
  return true;
}
