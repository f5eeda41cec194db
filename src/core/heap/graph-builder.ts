import { HeapSnapshotError } from './errors';
import type { HeapGraphData } from './graph-data';
import { NumberList } from './number-scanner';
import type { StringTableData } from './string-table';

/** The parts of `snapshot.meta` the parser relies on. */
export interface SnapshotMeta {
  node_fields: string[];
  node_types: [string[], ...unknown[]];
  edge_fields: string[];
  edge_types: [string[], ...unknown[]];
  location_fields?: string[];
  trace_function_info_fields?: string[];
}

export interface SnapshotHeader {
  meta: SnapshotMeta;
  node_count: number;
  edge_count: number;
}

const F_SKIP = 0, F_TYPE = 1, F_NAME = 2, F_ID = 3, F_SELF = 4, F_EDGES = 5, F_TRACE = 6, F_DETACHED = 7;
const NODE_FIELD_CODES: Record<string, number> = {
  type: F_TYPE, name: F_NAME, id: F_ID, self_size: F_SELF, edge_count: F_EDGES, trace_node_id: F_TRACE, detachedness: F_DETACHED,
};

/** Checks the header and preallocates the columns from its declared counts. */
export class GraphBuilder {
  readonly nodeFieldCount: number;
  readonly nodeCount: number;
  readonly edgeCount: number;
  private readonly codes: Uint8Array;
  private readonly edgeFieldCodes: Uint8Array;
  private readonly d: Omit<HeapGraphData, 'strings' | 'locations' | 'traceFunctionInfos' | 'traceNodeIds' | 'traceNodeFunction' | 'fileBytes'>;
  private nodeField = 0;
  private nodeRow = 0;
  private edgeField = 0;
  private edgeRow = 0;
  readonly locations = new NumberList();
  readonly traceInfos = new NumberList();

  constructor(readonly header: SnapshotHeader) {
    const meta = header?.meta;
    if (!meta || !Array.isArray(meta.node_fields) || !Array.isArray(meta.edge_fields) || !Array.isArray(meta.node_types?.[0]) || !Array.isArray(meta.edge_types?.[0])) {
      throw new HeapSnapshotError('its "snapshot.meta" header lacks node_fields, edge_fields or their types');
    }
    const n = header.node_count;
    const e = header.edge_count;
    if (!Number.isSafeInteger(n) || n < 1 || !Number.isSafeInteger(e) || e < 0 || n > 0xfffffffe || e > 0xfffffffe) {
      throw new HeapSnapshotError('its header declares no valid node_count and edge_count');
    }
    for (const f of ['type', 'name', 'id', 'self_size', 'edge_count']) {
      if (!meta.node_fields.includes(f)) throw new HeapSnapshotError(`its nodes have no "${f}" field`);
    }
    for (const f of ['type', 'name_or_index', 'to_node']) {
      if (!meta.edge_fields.includes(f)) throw new HeapSnapshotError(`its edges have no "${f}" field`);
    }
    this.nodeFieldCount = meta.node_fields.length;
    this.nodeCount = n;
    this.edgeCount = e;
    this.codes = Uint8Array.from(meta.node_fields, (f) => NODE_FIELD_CODES[f] ?? F_SKIP);
    this.edgeFieldCodes = Uint8Array.from(meta.edge_fields, (f) => (f === 'type' ? 1 : f === 'name_or_index' ? 2 : f === 'to_node' ? 3 : 0));
    this.d = {
      nodeTypes: meta.node_types[0].map(String),
      edgeTypes: meta.edge_types[0].map(String),
      nodeCount: n,
      edgeCount: e,
      nodeType: new Uint8Array(n),
      nodeName: new Uint32Array(n),
      nodeId: new Uint32Array(n),
      selfSize: new Float64Array(n),
      traceNodeId: new Uint32Array(meta.node_fields.includes('trace_node_id') ? n : 0),
      detachedness: meta.node_fields.includes('detachedness') ? new Uint8Array(n) : null,
      firstEdge: new Uint32Array(n + 1),
      edgeType: new Uint8Array(e),
      edgeName: new Uint32Array(e),
      edgeTo: new Uint32Array(e),
      traceFunctionInfoFields: meta.trace_function_info_fields ?? [],
    };
  }

  /** Sink of the "nodes" array. */
  readonly nodes = (values: Float64Array, count: number): void => {
    const d = this.d;
    const codes = this.codes;
    const fc = this.nodeFieldCount;
    let field = this.nodeField;
    let row = this.nodeRow;
    for (let k = 0; k < count; k++) {
      const v = values[k];
      if (row >= d.nodeCount) throw new HeapSnapshotError(`the "nodes" array holds more than the ${d.nodeCount} nodes its header declares`);
      switch (codes[field]) {
        case F_TYPE: d.nodeType[row] = v; break;
        case F_NAME: d.nodeName[row] = v; break;
        case F_ID: d.nodeId[row] = v; break;
        case F_SELF: d.selfSize[row] = v; break;
        case F_EDGES: d.firstEdge[row + 1] = d.firstEdge[row] + v; break;
        case F_TRACE: d.traceNodeId[row] = v; break;
        case F_DETACHED: d.detachedness![row] = v; break;
      }
      if (v < 0 || v > 0xffffffff) {
        if (codes[field] !== F_SELF && codes[field] !== F_SKIP) throw new HeapSnapshotError(`node ${row} has an out-of-range value ${v}`);
      }
      if (++field === fc) {
        field = 0;
        row++;
      }
    }
    this.nodeField = field;
    this.nodeRow = row;
  };

  /** Sink of the "edges" array; to_node offsets become node numbers. */
  readonly edges = (values: Float64Array, count: number): void => {
    const d = this.d;
    const codes = this.edgeFieldCodes;
    const fc = codes.length;
    const nfc = this.nodeFieldCount;
    const n = d.nodeCount;
    let field = this.edgeField;
    let row = this.edgeRow;
    for (let k = 0; k < count; k++) {
      const v = values[k];
      if (row >= d.edgeCount) throw new HeapSnapshotError(`the "edges" array holds more than the ${d.edgeCount} edges its header declares`);
      switch (codes[field]) {
        case 1: d.edgeType[row] = v; break;
        case 2:
          if (v < 0 || v > 0xffffffff) throw new HeapSnapshotError(`edge ${row} has an out-of-range name ${v}`);
          d.edgeName[row] = v;
          break;
        case 3: {
          const to = v / nfc;
          if (!(to >= 0 && to < n && to === Math.floor(to))) throw new HeapSnapshotError(`edge ${row} points to ${v}, which is not a node`);
          d.edgeTo[row] = to;
          break;
        }
      }
      if (++field === fc) {
        field = 0;
        row++;
      }
    }
    this.edgeField = field;
    this.edgeRow = row;
  };

  /** Checks the counts and returns the graph. */
  finish(strings: StringTableData, traceTree: unknown, fileBytes: number): HeapGraphData {
    const d = this.d;
    if (this.nodeRow !== d.nodeCount || this.nodeField !== 0) {
      throw new HeapSnapshotError(`its header declares ${d.nodeCount} nodes but the "nodes" array holds ${this.nodeRow}`);
    }
    if (this.edgeRow !== d.edgeCount || this.edgeField !== 0) {
      throw new HeapSnapshotError(`its header declares ${d.edgeCount} edges but the "edges" array holds ${this.edgeRow}`);
    }
    if (d.firstEdge[d.nodeCount] !== d.edgeCount) {
      throw new HeapSnapshotError(`its nodes' edge counts add up to ${d.firstEdge[d.nodeCount]}, not the ${d.edgeCount} edges it holds`);
    }
    const locations = this.convertLocations();
    const trace = flattenTraceTree(traceTree);
    return {
      ...d,
      strings,
      locations,
      traceFunctionInfos: this.traceInfos.trimmed(),
      traceNodeIds: trace.ids,
      traceNodeFunction: trace.fn,
      fileBytes,
    };
  }

  private convertLocations(): Int32Array {
    const fields = this.header.meta.location_fields ?? ['object_index', 'script_id', 'line', 'column'];
    const fc = fields.length;
    const ix = ['object_index', 'script_id', 'line', 'column'].map((f) => fields.indexOf(f));
    const raw = this.locations.values;
    const rows = Math.floor(this.locations.length / fc);
    if (ix.some((i) => i < 0) || rows === 0) return new Int32Array(0);
    const out = new Int32Array(rows * 4);
    for (let r = 0; r < rows; r++) {
      out[r * 4] = raw[r * fc + ix[0]] / this.nodeFieldCount;
      out[r * 4 + 1] = raw[r * fc + ix[1]];
      out[r * 4 + 2] = raw[r * fc + ix[2]];
      out[r * 4 + 3] = raw[r * fc + ix[3]];
    }
    return out;
  }
}

/** trace_tree is nested [id, function_info_index, count, size, [children…]]; flatten it to id → function. */
function flattenTraceTree(tree: unknown): { ids: Uint32Array; fn: Uint32Array } {
  const pairs: number[] = [];
  const stack: unknown[] = [tree];
  while (stack.length) {
    const arr = stack.pop();
    if (!Array.isArray(arr)) continue;
    for (let i = 0; i + 4 < arr.length; i += 5) {
      if (typeof arr[i] === 'number' && typeof arr[i + 1] === 'number') pairs.push(arr[i], arr[i + 1]);
      stack.push(arr[i + 4]);
    }
  }
  const order = Array.from({ length: pairs.length / 2 }, (_, k) => k).sort((a, b) => pairs[a * 2] - pairs[b * 2]);
  const ids = new Uint32Array(order.length);
  const fn = new Uint32Array(order.length);
  order.forEach((k, j) => {
    ids[j] = pairs[k * 2];
    fn[j] = pairs[k * 2 + 1];
  });
  return { ids, fn };
}
