import { HeapSnapshotError } from './errors';
import { GraphBuilder, type SnapshotHeader } from './graph-builder';
import type { HeapGraphData } from './graph-data';
import { describeByte, NumberArrayScanner } from './number-scanner';
import { StringArrayScanner } from './string-table';
import { ValueScanner } from './value-scanner';

interface Scanner {
  scan(buf: Buffer, start: number, end: number, offset: number): number;
  readonly where: string;
}

/** Larger than any real header; trace trees above this are skipped (grouping falls back to locations). */
const MAX_HEADER_BYTES = 16 << 20;
const MAX_TRACE_TREE_BYTES = 256 << 20;
const NUMBER_ARRAYS = new Set(['nodes', 'edges', 'locations', 'trace_function_infos', 'samples']);

/**
 * Reads a .heapsnapshot pushed chunk by chunk. The top-level object is walked key by key:
 * `snapshot` (the small header) is captured and JSON.parse'd, the number arrays go byte by
 * byte into typed arrays, `strings` string by string, and anything else is skipped.
 */
export class SnapshotReader {
  // 0 before '{', 1 expecting a key or '}', 2 in a key, 3 expecting ':', 4 in a value, 5 after a value, 6 done
  private state = 0;
  private key: number[] = [];
  private keyName = '';
  private value: Scanner | null = null;
  private offset = 0;
  private builder: GraphBuilder | null = null;
  private strings: StringArrayScanner | null = null;
  private traceTree: unknown = null;
  private first = true;

  constructor(private readonly fileBytes = 0) {}

  push(buf: Buffer): void {
    let i = 0;
    const end = buf.length;
    if (this.first && end > 0) {
      this.first = false;
      // A UTF-8 byte order mark is harmless.
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
    }
    while (i < end) {
      if (this.state === 4) {
        const next = this.value!.scan(buf, i, end, this.offset);
        if (next < 0) break;
        this.valueDone();
        i = next;
        continue;
      }
      const c = buf[i];
      if (this.state === 2) {
        if (c === 34) {
          this.keyName = Buffer.from(this.key).toString('utf8');
          this.state = 3;
        } else if (this.key.length < 256) this.key.push(c);
        else throw new HeapSnapshotError(`a key longer than 256 bytes at byte ${this.offset + i}`);
        i++;
        continue;
      }
      i++;
      if (c === 32 || c === 10 || c === 13 || c === 9) continue;
      switch (this.state) {
        case 0:
          if (c !== 123) throw new HeapSnapshotError(`it does not start with a JSON object (found ${describeByte(c)})`);
          this.state = 1;
          break;
        case 1:
          if (c === 34) {
            this.key = [];
            this.state = 2;
          } else if (c === 125) this.state = 6;
          else this.unexpected(c, i - 1);
          break;
        case 3:
          if (c !== 58) this.unexpected(c, i - 1);
          this.value = this.scannerFor(this.keyName);
          this.state = 4;
          break;
        case 5:
          if (c === 44) this.state = 1;
          else if (c === 125) this.state = 6;
          else this.unexpected(c, i - 1);
          break;
        default:
          this.unexpected(c, i - 1);
      }
    }
    this.offset += end;
  }

  /** Call after the last chunk; returns the graph or throws why the file is incomplete. */
  end(): HeapGraphData {
    if (this.state !== 6) {
      const where = this.state === 4 ? this.value!.where : this.state === 0 ? 'before any JSON' : 'between the top-level keys';
      throw new HeapSnapshotError(`truncated: the file ends ${where} after ${this.offset} bytes`);
    }
    if (!this.builder) throw new HeapSnapshotError('it has no "snapshot" header, so it is not a V8 heap snapshot');
    if (!this.strings) throw new HeapSnapshotError('it has no "strings" array');
    return this.builder.finish(this.strings.result(), this.traceTree, this.offset);
  }

  private unexpected(c: number, i: number): never {
    throw new HeapSnapshotError(`unexpected ${describeByte(c)} at byte ${this.offset + i} of the top-level object`);
  }

  private scannerFor(key: string): Scanner {
    if (key === 'snapshot') return new ValueScanner(key, MAX_HEADER_BYTES, true);
    if (key === 'trace_tree') return new ValueScanner(key, MAX_TRACE_TREE_BYTES, true);
    if (NUMBER_ARRAYS.has(key) || key === 'strings') {
      const b = this.builder;
      if (!b) throw new HeapSnapshotError(`its "${key}" array comes before the "snapshot" header`);
      switch (key) {
        case 'nodes': return new NumberArrayScanner(key, b.nodes);
        case 'edges': return new NumberArrayScanner(key, b.edges);
        case 'locations': return new NumberArrayScanner(key, b.locations.push);
        case 'trace_function_infos': return new NumberArrayScanner(key, b.traceInfos.push);
        case 'samples': return new NumberArrayScanner(key, () => {});
        case 'strings':
          this.strings = new StringArrayScanner(this.fileBytes > this.offset ? this.fileBytes - this.offset : 0);
          return this.strings;
      }
    }
    return new ValueScanner(key, 0, false);
  }

  private valueDone(): void {
    const v = this.value!;
    if (v instanceof ValueScanner && v.capture) {
      const parsed = v.parsed();
      if (this.keyName === 'snapshot') this.builder = new GraphBuilder(parsed as SnapshotHeader);
      else if (this.keyName === 'trace_tree') this.traceTree = parsed;
    }
    this.value = null;
    this.state = 5;
  }
}
