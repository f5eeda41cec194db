import { HeapSnapshotError } from './errors';
import { describeByte } from './number-scanner';

/**
 * The snapshot's strings as UTF-8 bytes in one buffer plus offsets: transferable from a
 * worker without copying, and far smaller than millions of JS strings. Strings are decoded
 * when asked for.
 */
export interface StringTableData {
  bytes: Uint8Array;
  /** offsets[i]..offsets[i+1] are the bytes of string i; length count+1. Float64 only past 4 GiB of text. */
  offsets: Uint32Array | Float64Array;
  count: number;
}

export class StringTable {
  private readonly cache = new Map<number, string>();
  constructor(readonly data: StringTableData) {}

  get count(): number {
    return this.data.count;
  }

  get(i: number): string {
    let s = this.cache.get(i);
    if (s === undefined) {
      if (!(i >= 0 && i < this.data.count)) return '';
      const { bytes, offsets } = this.data;
      s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', offsets[i], offsets[i + 1]);
      if (this.cache.size < 100_000) this.cache.set(i, s);
    }
    return s;
  }
}

const BACKSLASH = 92;
const QUOTE = 34;

/**
 * Scans the JSON array of strings string by string. A string without escapes is copied as
 * bytes; one with escapes goes through JSON.parse of its literal. A string split across two
 * chunks is kept in `pending` (copied: the chunk buffer is reused) until its end arrives.
 */
export class StringArrayScanner {
  private bytes: Buffer;
  private used = 0;
  private offsets: Uint32Array | Float64Array = new Uint32Array(1 << 16);
  private count = 0;
  // 0 before '[', 1 after '[' (string or ']'), 2 in a string, 3 after a string, 4 after ',', 5 done
  private state = 0;
  private pending: Buffer[] = [];
  private pendingEscaped = false;
  /** The byte before the current position inside a string was an unpaired backslash. */
  private escapeNext = false;

  constructor(capacityHint: number) {
    // Uninitialised memory is committed by the OS only when written, so a generous hint costs nothing.
    this.bytes = Buffer.allocUnsafeSlow(Math.max(1 << 16, capacityHint));
  }

  get done(): boolean {
    return this.state === 5;
  }

  get where(): string {
    return 'inside the "strings" array';
  }

  scan(buf: Buffer, start: number, end: number, offset: number): number {
    let i = start;
    while (i < end) {
      const state = this.state;
      if (state === 2) {
        i = this.scanString(buf, i, end);
        continue;
      }
      const c = buf[i];
      if (c === 32 || c === 10 || c === 13 || c === 9) {
        i++;
      } else if (c === 91 && state === 0) {
        this.state = 1;
        i++;
      } else if (c === QUOTE && (state === 1 || state === 4)) {
        this.state = 2;
        // `pending` is left empty after each string: no new array per string.
        this.pendingEscaped = false;
        this.escapeNext = false;
        i++;
      } else if (c === 44 && state === 3) {
        this.state = 4;
        i++;
      } else if (c === 93 && (state === 1 || state === 3)) {
        this.state = 5;
        return i + 1;
      } else {
        throw new HeapSnapshotError(`unexpected ${describeByte(c)} at byte ${offset + i} ${this.where}`);
      }
    }
    return -1;
  }

  /** Inside a string literal: finds its closing quote (skipping escaped ones). */
  private scanString(buf: Buffer, i: number, end: number): number {
    const from = i;
    let escaped = this.pendingEscaped;
    let esc = this.escapeNext;
    let j = i;
    for (; j < end; j++) {
      const c = buf[j];
      if (esc) esc = false;
      else if (c === BACKSLASH) {
        esc = true;
        escaped = true;
      } else if (c === QUOTE) break;
      else if (c < 32) throw new HeapSnapshotError(`a control character inside string ${this.count} of the "strings" array`);
    }
    if (j === end) {
      // The string continues in the next chunk.
      this.pending.push(Buffer.from(buf.subarray(from, end)));
      this.pendingEscaped = escaped;
      this.escapeNext = esc;
      return end;
    }
    if (this.pending.length) {
      this.pending.push(buf.subarray(from, j));
      const whole = Buffer.concat(this.pending);
      this.pending.length = 0;
      this.add(whole, 0, whole.length, escaped);
    } else this.add(buf, from, j, escaped);
    this.state = 3;
    return j + 1;
  }

  /** Appends buf[from..to); the common unescaped case copies without making any object. */
  private add(buf: Buffer, from: number, to: number, escaped: boolean): void {
    if (escaped) {
      let s: string;
      try {
        s = JSON.parse(`"${buf.toString('utf8', from, to)}"`) as string;
      } catch {
        throw new HeapSnapshotError(`an invalid escape in string ${this.count} of the "strings" array`);
      }
      const len = Buffer.byteLength(s, 'utf8');
      this.reserve(len);
      this.bytes.write(s, this.used, 'utf8');
      this.used += len;
    } else {
      const len = to - from;
      this.reserve(len);
      const bytes = this.bytes;
      const at = this.used;
      // Most strings are short: a byte loop beats Buffer#copy there and allocates nothing.
      if (len < 64) for (let k = 0; k < len; k++) bytes[at + k] = buf[from + k];
      else buf.copy(bytes, at, from, to);
      this.used = at + len;
    }
    let offsets = this.offsets;
    if (this.count + 2 > offsets.length || (this.used > 0xffffffff && offsets instanceof Uint32Array)) {
      const next = this.used > 0xffffffff || offsets instanceof Float64Array ? new Float64Array(offsets.length * 2) : new Uint32Array(offsets.length * 2);
      next.set(offsets);
      this.offsets = offsets = next;
    }
    this.count++;
    offsets[this.count] = this.used;
  }

  private reserve(len: number): void {
    if (this.used + len <= this.bytes.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.used + len));
    this.bytes.copy(next, 0, 0, this.used);
    this.bytes = next;
  }

  result(): StringTableData {
    return { bytes: this.bytes.subarray(0, this.used), offsets: this.offsets.subarray(0, this.count + 1), count: this.count };
  }
}
