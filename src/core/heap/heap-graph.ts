import type { HeapGraphData } from './graph-data';
import { StringTable } from './string-table';

export const NONE = 0xffffffff;

/** A parsed heap snapshot: typed-array columns plus accessors that name things. */
export class HeapGraph {
  readonly strings: StringTable;
  readonly nodeCount: number;
  readonly edgeCount: number;
  /** Edge type numbers, or -1 when the snapshot has no such type. */
  readonly edgeKind: { weak: number; shortcut: number; element: number; hidden: number; property: number; context: number; internal: number };
  private locationIndex: Int32Array | null = null;

  constructor(readonly data: HeapGraphData) {
    this.strings = new StringTable(data.strings);
    this.nodeCount = data.nodeCount;
    this.edgeCount = data.edgeCount;
    const et = data.edgeTypes;
    this.edgeKind = {
      weak: et.indexOf('weak'), shortcut: et.indexOf('shortcut'), element: et.indexOf('element'), hidden: et.indexOf('hidden'),
      property: et.indexOf('property'), context: et.indexOf('context'), internal: et.indexOf('internal'),
    };
  }

  nodeTypeName(i: number): string {
    return this.data.nodeTypes[this.data.nodeType[i]] ?? 'unknown';
  }

  nodeName(i: number): string {
    return this.strings.get(this.data.nodeName[i]);
  }

  edgeTypeName(e: number): string {
    return this.data.edgeTypes[this.data.edgeType[e]] ?? 'unknown';
  }

  /** The edge's label: a property/variable name, or an element/hidden index. */
  edgeLabel(e: number): string {
    const t = this.data.edgeType[e];
    const k = this.edgeKind;
    if (t === k.element || t === k.hidden) return String(this.data.edgeName[e]);
    return this.strings.get(this.data.edgeName[e]);
  }

  /** Edges that hold an object alive (DevTools' rule): not weak, and shortcuts only from the root. */
  isEssentialEdge(from: number, e: number): boolean {
    const t = this.data.edgeType[e];
    return t !== this.edgeKind.weak && (t !== this.edgeKind.shortcut || from === 0);
  }

  /** Row in data.locations of node i's location (function start), or -1. */
  locationRow(i: number): number {
    if (!this.locationIndex) {
      const idx = new Int32Array(this.nodeCount).fill(-1);
      const loc = this.data.locations;
      for (let r = 0; r * 4 < loc.length; r++) {
        const node = loc[r * 4];
        if (node >= 0 && node < this.nodeCount) idx[node] = r;
      }
      this.locationIndex = idx;
    }
    return this.locationIndex[i];
  }

  /** Index of the trace function info that allocated node i (allocation tracking on), or -1. */
  traceFunction(i: number): number {
    const d = this.data;
    const t = d.traceNodeId.length ? d.traceNodeId[i] : 0;
    if (t === 0 || d.traceNodeIds.length === 0) return -1;
    let lo = 0;
    let hi = d.traceNodeIds.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = d.traceNodeIds[mid];
      if (v === t) return d.traceNodeFunction[mid];
      if (v < t) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Node ids sorted ascending, for membership tests across snapshots. */
  sortedIds(): Uint32Array {
    return this.data.nodeId.slice().sort();
  }
}

/** Binary search in ascending ids. */
export function hasId(sorted: Uint32Array, id: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid];
    if (v === id) return true;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
