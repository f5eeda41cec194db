import { HeapSnapshotError } from './errors';
import type { HeapGraphData } from './graph-data';
import { type NumberBatchSink, NumberList } from './number-scanner';
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

type Columns = Omit<HeapGraphData, 'strings' | 'locations' | 'traceFunctionInfos' | 'traceNodeIds' | 'traceNodeFunction' | 'fileBytes'>;

/** A batch sink plus where it stands (rows complete, field within the current row). */
interface RowSink {
  sink: NumberBatchSink;
  rows(): number;
  field(): number;
}

/** Checks the header and preallocates the columns from its declared counts. */
export class GraphBuilder {
  readonly nodeFieldCount: number;
  readonly nodeCount: number;
  readonly edgeCount: number;
  private readonly d: Columns;
  private readonly nodeRows: RowSink;
  private readonly edgeRows: RowSink;
  /** Sink of the "nodes" array. */
  readonly nodes: NumberBatchSink;
  /** Sink of the "edges" array; to_node offsets become node numbers. */
  readonly edges: NumberBatchSink;
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
    this.d = {
      nodeTypes: meta.node_types[0].map(String),
      edgeTypes: meta.edge_types[0].map(String),
      nodeCount: n,
      edgeCount: e,
      // Exact sizes from the header. Self sizes fit 32 bits unless one node proves otherwise;
      // trace ids and detachedness are all 0 without allocation tracking / DOM, so their
      // columns are made only when a non-zero value arrives.
      nodeType: new Uint8Array(n),
      nodeName: new Uint32Array(n),
      nodeId: new Uint32Array(n),
      selfSize: new Uint32Array(n),
      traceNodeId: new Uint32Array(0),
      detachedness: null,
      firstEdge: new Uint32Array(n + 1),
      edgeType: new Uint8Array(e),
      edgeName: new Uint32Array(e),
      edgeTo: new Uint32Array(e),
      traceFunctionInfoFields: meta.trace_function_info_fields ?? [],
    };
    this.nodeRows = nodeSink(this.d, Uint8Array.from(meta.node_fields, (f) => NODE_FIELD_CODES[f] ?? F_SKIP));
    this.edgeRows = edgeSink(this.d, Uint8Array.from(meta.edge_fields, (f) => (f === 'type' ? 1 : f === 'name_or_index' ? 2 : f === 'to_node' ? 3 : 0)), this.nodeFieldCount);
    this.nodes = this.nodeRows.sink;
    this.edges = this.edgeRows.sink;
  }

  /** Checks the counts and returns the graph. */
  finish(strings: StringTableData, traceTree: unknown, fileBytes: number): HeapGraphData {
    const d = this.d;
    const nodeRows = this.nodeRows.rows();
    const edgeRows = this.edgeRows.rows();
    if (nodeRows !== d.nodeCount || this.nodeRows.field() !== 0) {
      throw new HeapSnapshotError(`its header declares ${d.nodeCount} nodes but the "nodes" array holds ${nodeRows}`);
    }
    if (edgeRows !== d.edgeCount || this.edgeRows.field() !== 0) {
      throw new HeapSnapshotError(`its header declares ${d.edgeCount} edges but the "edges" array holds ${edgeRows}`);
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

// The sinks keep their position in closure variables, not properties: V8 optimises a sink
// on-stack during its first batch, before any code after its loop has run, and a property
// store there without type feedback deoptimised it again on every later batch, boxing each
// value (tens of MB of garbage per 100 MB of snapshot). Closure slots need no feedback.

function nodeSink(d: Columns, codes: Uint8Array): RowSink {
  const fc = codes.length;
  const nodeCount = d.nodeCount;
  let field = 0;
  let row = 0;
  const sink = (values: Float64Array, count: number): void => {
    let f = field;
    let r = row;
    for (let k = 0; k < count; k++) {
      const v = values[k];
      if (r >= nodeCount) throw new HeapSnapshotError(`the "nodes" array holds more than the ${nodeCount} nodes its header declares`);
      const code = codes[f];
      switch (code) {
        case F_TYPE: d.nodeType[r] = v; break;
        case F_NAME: d.nodeName[r] = v; break;
        case F_ID: d.nodeId[r] = v; break;
        case F_SELF:
          if ((v > 0xffffffff || v < 0) && d.selfSize instanceof Uint32Array) d.selfSize = Float64Array.from(d.selfSize);
          d.selfSize[r] = v;
          break;
        case F_EDGES: d.firstEdge[r + 1] = d.firstEdge[r] + v; break;
        case F_TRACE:
          if (v !== 0) {
            if (d.traceNodeId.length === 0) d.traceNodeId = new Uint32Array(nodeCount);
            d.traceNodeId[r] = v;
          }
          break;
        case F_DETACHED:
          if (v !== 0) (d.detachedness ??= new Uint8Array(nodeCount))[r] = v;
          break;
      }
      if ((v < 0 || v > 0xffffffff) && code !== F_SELF && code !== F_SKIP) {
        throw new HeapSnapshotError(`node ${r} has an out-of-range value ${v}`);
      }
      if (++f === fc) {
        f = 0;
        r++;
      }
    }
    field = f;
    row = r;
  };
  return { sink, rows: () => row, field: () => field };
}

function edgeSink(d: Columns, codes: Uint8Array, nodeFieldCount: number): RowSink {
  const fc = codes.length;
  const n = d.nodeCount;
  const edgeCount = d.edgeCount;
  const { edgeType, edgeName, edgeTo } = d;
  let field = 0;
  let row = 0;
  const sink = (values: Float64Array, count: number): void => {
    let f = field;
    let r = row;
    for (let k = 0; k < count; k++) {
      const v = values[k];
      if (r >= edgeCount) throw new HeapSnapshotError(`the "edges" array holds more than the ${edgeCount} edges its header declares`);
      switch (codes[f]) {
        case 1: edgeType[r] = v; break;
        case 2:
          if (v < 0 || v > 0xffffffff) throw new HeapSnapshotError(`edge ${r} has an out-of-range name ${v}`);
          edgeName[r] = v;
          break;
        case 3: {
          const to = v / nodeFieldCount;
          if (!(to >= 0 && to < n && to === Math.floor(to))) throw new HeapSnapshotError(`edge ${r} points to ${v}, which is not a node`);
          edgeTo[r] = to;
          break;
        }
      }
      if (++f === fc) {
        f = 0;
        r++;
      }
    }
    field = f;
    row = r;
  };
  return { sink, rows: () => row, field: () => field };
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
