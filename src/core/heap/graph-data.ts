import type { StringTableData } from './string-table';

/**
 * Everything parsed from a .heapsnapshot, in typed arrays that a worker can transfer.
 * Nodes are columns indexed by node number (0 = the synthetic root); edges are rows of the
 * CSR `firstEdge` (edges of node i are firstEdge[i]..firstEdge[i+1]).
 */
export interface HeapGraphData {
  nodeTypes: string[];
  edgeTypes: string[];
  nodeCount: number;
  edgeCount: number;
  nodeType: Uint8Array;
  nodeName: Uint32Array;
  nodeId: Uint32Array;
  /** Uint32, or Float64 when a node is over 4 GiB (an ArrayBuffer's backing store can be). */
  selfSize: Uint32Array | Float64Array;
  /** Empty when every node's trace_node_id is 0 (no allocation tracking). */
  traceNodeId: Uint32Array;
  /** null when the snapshot has no detachedness or every node's is 0 (unknown). */
  detachedness: Uint8Array | null;
  firstEdge: Uint32Array;
  edgeType: Uint8Array;
  edgeName: Uint32Array;
  /** Target node number (not the raw field offset of the file). */
  edgeTo: Uint32Array;
  strings: StringTableData;
  /** [nodeNumber, scriptId, line, column] per location; line and column 0-based. */
  locations: Int32Array;
  /** Flat rows of trace_function_info_fields, or empty without allocation tracking. */
  traceFunctionInfos: Float64Array;
  traceFunctionInfoFields: string[];
  /** trace node id → index of its function info (pairs, sorted by id). */
  traceNodeIds: Uint32Array;
  traceNodeFunction: Uint32Array;
  fileBytes: number;
}

/** The ArrayBuffers of a graph, for postMessage's transfer list. */
export function transferList(d: HeapGraphData): ArrayBuffer[] {
  const all = [
    d.nodeType, d.nodeName, d.nodeId, d.selfSize, d.traceNodeId, d.detachedness, d.firstEdge, d.edgeType,
    d.edgeName, d.edgeTo, d.strings.bytes, d.strings.offsets, d.locations, d.traceFunctionInfos, d.traceNodeIds,
    d.traceNodeFunction,
  ];
  const seen = new Set<ArrayBuffer>();
  for (const a of all) if (a && a.buffer instanceof ArrayBuffer) seen.add(a.buffer);
  return [...seen];
}
