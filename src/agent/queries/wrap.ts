import { errorMonitor } from 'node:events';
import type { Pending, QueryRecorder } from './recorder';

const WRAPPED = Symbol.for('perf-lens.wrapped');

type AnyFn = (this: unknown, ...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Replaces `name` on the prototype that owns it (walking up from `proto`) with
 * `make(original)`, once: a method already wrapped — by this agent or an earlier copy of
 * it — is left alone. Returns false when there was nothing to wrap.
 */
export function wrapMethod(proto: object | null | undefined, name: string, make: (original: AnyFn) => AnyFn): boolean {
  let owner: object | null | undefined = proto;
  while (owner && !Object.prototype.hasOwnProperty.call(owner, name)) owner = Object.getPrototypeOf(owner);
  if (!owner) return false;
  const descriptor = Object.getOwnPropertyDescriptor(owner, name);
  const original = descriptor?.value as AnyFn | undefined;
  if (typeof original !== 'function' || (original as unknown as Record<symbol, unknown>)[WRAPPED]) return false;
  const wrapper = make(original);
  Object.defineProperty(wrapper, WRAPPED, { value: original });
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  Object.defineProperty(owner, name, { ...descriptor, value: wrapper });
  return true;
}

/** The callback, called exactly as before, after the query is recorded as ended. */
export function endingCallback(recorder: QueryRecorder, pending: Pending, callback: AnyFn): AnyFn {
  return function (this: unknown, err?: unknown) {
    recorder.end(pending, err !== undefined && err !== null && err !== false);
    return callback.apply(this, arguments as unknown as unknown[]);
  };
}

/**
 * A promise that settles like `promise` once the query is recorded as ended. Unhandled
 * rejections stay unhandled: the app holds the returned promise, which rejects with the
 * very same reason. `onValue` sees the result first (a cache read counts its hits).
 */
export function endingPromise<T>(recorder: QueryRecorder, pending: Pending, promise: PromiseLike<T>, onValue?: (value: T) => void): PromiseLike<T> {
  return promise.then(
    (value) => {
      if (onValue !== undefined) onValue(value);
      recorder.end(pending, false);
      return value;
    },
    (reason: unknown) => {
      recorder.end(pending, true);
      throw reason;
    },
  );
}

/** Ends the query on an emitter's 'end' or 'error' without becoming an 'error' listener. */
export function endOnEvents(recorder: QueryRecorder, pending: Pending, emitter: { once: AnyFn; on: AnyFn }): void {
  emitter.once('end', () => recorder.end(pending, false));
  emitter.on(errorMonitor, () => recorder.end(pending, true));
}

/** Index of the callback among (sql, values, callback) arguments, or -1. */
export function callbackIndex(args: IArguments): number {
  if (typeof args[1] === 'function') return 1;
  if (typeof args[2] === 'function') return 2;
  return -1;
}

/** Calls `original` with `args`, the callback at `index` replaced. */
export function withCallback(original: AnyFn, self: unknown, args: IArguments, index: number, callback: AnyFn): unknown {
  const copy = Array.prototype.slice.call(args);
  copy[index] = callback;
  return original.apply(self, copy);
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}
