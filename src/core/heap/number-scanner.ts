import { HeapSnapshotError } from './errors';

/** Receives the numbers of one JSON array in batches (values[0..count)). */
export type NumberBatchSink = (values: Float64Array, count: number) => void;

const BATCH = 1 << 16;
// Scanner states.
const EXPECT_OPEN = 0; // before '['
const FIRST = 1; // after '[': a value or ']'
const IN_NUMBER = 2;
const AFTER_VALUE = 3; // ',' or ']'
const AFTER_COMMA = 4; // a value
const DONE = 5;

/**
 * Scans a JSON array of integers byte by byte, across chunk boundaries, into batches of a
 * Float64Array: no string is ever made of the (huge) array text. Fractions and exponents are
 * rejected: V8 writes only integers in these arrays.
 */
export class NumberArrayScanner {
  private readonly batch = new Float64Array(BATCH);
  private n = 0;
  private state = EXPECT_OPEN;
  private cur = 0;
  private neg = false;
  /** How many numbers the array held so far. */
  total = 0;

  constructor(
    private readonly name: string,
    private readonly sink: NumberBatchSink,
  ) {}

  get done(): boolean {
    return this.state === DONE;
  }

  get where(): string {
    return `inside the "${this.name}" array`;
  }

  /** Consumes buf[start..end); returns the index just past the closing ']', or -1 when it needs more. */
  scan(buf: Uint8Array, start: number, end: number, offset: number): number {
    const batch = this.batch;
    let n = this.n;
    let state = this.state;
    let cur = this.cur;
    let neg = this.neg;
    let i = start;
    while (i < end) {
      let c = buf[i];
      if (c >= 48 && c <= 57) {
        if (state === FIRST || state === AFTER_COMMA) {
          cur = 0;
          state = IN_NUMBER;
        } else if (state !== IN_NUMBER) break;
        // The hot loop: the digits of one number.
        do {
          cur = cur * 10 + (c - 48);
          if (++i === end) break;
          c = buf[i];
        } while (c >= 48 && c <= 57);
        if (i === end) break; // the number may go on in the next chunk
        batch[n++] = neg ? -cur : cur;
        neg = false;
        state = AFTER_VALUE;
        if (n === BATCH) {
          this.sink(batch, n);
          this.total += n;
          n = 0;
        }
        if (c === 44) {
          state = AFTER_COMMA;
          i++;
          continue;
        }
      }
      if (state === IN_NUMBER) {
        // a number that ended exactly at the previous chunk's end
        batch[n++] = neg ? -cur : cur;
        neg = false;
        state = AFTER_VALUE;
        if (n === BATCH) {
          this.sink(batch, n);
          this.total += n;
          n = 0;
        }
      }
      if (c === 44) {
        if (state !== AFTER_VALUE) break;
        state = AFTER_COMMA;
      } else if (c === 93) {
        if (state !== AFTER_VALUE && state !== FIRST) break;
        state = DONE;
        i++;
        break;
      } else if (c === 32 || c === 10 || c === 13 || c === 9) {
        // whitespace between tokens
      } else if (c === 91 && state === EXPECT_OPEN) {
        state = FIRST;
      } else if (c === 45 && (state === FIRST || state === AFTER_COMMA) && !neg) {
        neg = true;
        state = AFTER_COMMA; // a digit must follow
      } else break;
      i++;
    }
    this.n = n;
    this.state = state;
    this.cur = cur;
    this.neg = neg;
    if (state === DONE) {
      if (n > 0) this.sink(batch, n);
      this.total += n;
      this.n = 0;
      return i;
    }
    if (i < end) {
      throw new HeapSnapshotError(`unexpected ${describeByte(buf[i])} at byte ${offset + i} ${this.where}`);
    }
    return -1;
  }
}

/** A byte as a user reads it in an error message. */
export function describeByte(c: number): string {
  return c >= 33 && c < 127 ? `"${String.fromCharCode(c)}"` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/** A growable list of numbers for the small arrays (locations, trace function infos). */
export class NumberList {
  values: Float64Array;
  length = 0;
  constructor(capacity = 1024) {
    this.values = new Float64Array(capacity);
  }
  readonly push: NumberBatchSink = (batch, count) => {
    if (this.length + count > this.values.length) {
      const next = new Float64Array(Math.max(this.values.length * 2, this.length + count));
      next.set(this.values.subarray(0, this.length));
      this.values = next;
    }
    this.values.set(batch.subarray(0, count), this.length);
    this.length += count;
  };
  trimmed(): Float64Array {
    return this.values.slice(0, this.length);
  }
}
