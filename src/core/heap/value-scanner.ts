import { HeapSnapshotError } from './errors';
import { describeByte } from './number-scanner';

/**
 * Finds the end of one JSON value of any kind (strings and nesting aware), either keeping
 * its bytes for JSON.parse (small parts: the header) or skipping them (parts not needed).
 */
export class ValueScanner {
  private depth = 0;
  private started = false;
  private inString = false;
  private esc = false;
  private scalar = false;
  private parts: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly name: string,
    private readonly maxCapture: number,
    public capture: boolean,
  ) {}

  get where(): string {
    return `inside the "${this.name}" value`;
  }

  scan(buf: Buffer, start: number, end: number, offset: number): number {
    let i = start;
    let from = start;
    let doneAt = -1;
    for (; i < end; i++) {
      const c = buf[i];
      if (this.inString) {
        if (this.esc) this.esc = false;
        else if (c === 92) this.esc = true;
        else if (c === 34) {
          this.inString = false;
          if (this.depth === 0) {
            doneAt = i + 1;
            break;
          }
        }
        continue;
      }
      if (!this.started) {
        if (c === 32 || c === 10 || c === 13 || c === 9) {
          from = i + 1;
          continue;
        }
        this.started = true;
        if (c === 123 || c === 91) this.depth = 1;
        else if (c === 34) this.inString = true;
        else if ((c >= 48 && c <= 57) || c === 45 || c === 116 || c === 102 || c === 110) this.scalar = true;
        else throw new HeapSnapshotError(`unexpected ${describeByte(c)} at byte ${offset + i} ${this.where}`);
        continue;
      }
      if (this.scalar) {
        if (c === 44 || c === 125 || c === 32 || c === 10 || c === 13 || c === 9) {
          doneAt = i;
          break;
        }
        continue;
      }
      if (c === 34) this.inString = true;
      else if (c === 123 || c === 91) this.depth++;
      else if (c === 125 || c === 93) {
        if (--this.depth === 0) {
          doneAt = i + 1;
          break;
        }
      }
    }
    const upTo = doneAt < 0 ? end : doneAt;
    if (this.capture && upTo > from) {
      this.size += upTo - from;
      if (this.size > this.maxCapture) {
        if (this.name === 'snapshot') throw new HeapSnapshotError('its "snapshot" header is implausibly large');
        this.capture = false; // too big to keep: skip it instead
        this.parts = [];
      } else this.parts.push(Buffer.from(buf.subarray(from, upTo)));
    }
    return doneAt;
  }

  parsed(): unknown {
    try {
      return JSON.parse(Buffer.concat(this.parts).toString('utf8'));
    } catch {
      throw new HeapSnapshotError(`its "${this.name}" value is not valid JSON`);
    }
  }
}
