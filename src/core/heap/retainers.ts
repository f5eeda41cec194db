import { type HeapGraph, NONE } from './heap-graph';

export interface ShortestPaths {
  /** Hops from the root over essential edges; NONE when unreachable. */
  distance: Uint32Array;
  /** The edge (index) through which BFS first reached each node; NONE for the root. */
  viaEdge: Uint32Array;
  /** The node that edge comes from. */
  viaNode: Uint32Array;
}

export interface RetainerStep {
  /** How the previous step holds this one: a property, variable or index; '' for the first step. */
  edge: string;
  edgeType: string;
  node: string;
  nodeType: string;
  nodeId: number;
}

/** V8's own tables: a path through them says nothing about who in the app holds an object. */
const DEFERRED_ROOTS = new Set([
  '(Internalized strings)', '(External strings)', '(Read-only roots)', '(Startup object cache)', '(Read-only object cache)',
  '(Shareable object cache)', '(Builtins)', '(Compilation cache)', '(Code flusher)', '(Extensions)',
]);
/** Added to the distance of nodes reached only through a deferred root, so they rank last. */
export const DEFERRED_DISTANCE = 1 << 24;

/**
 * One breadth-first search from the synthetic root over essential (non-weak) edges gives
 * every node its shortest retainer path at once — the same paths a BFS over reverse edges
 * from each node would find. V8's internal tables (string table, builtins, caches) are
 * expanded only after everything else, so a string held by an app object is shown held by
 * that object rather than by the string table.
 */
export function shortestPaths(g: HeapGraph): ShortestPaths {
  const n = g.nodeCount;
  const { firstEdge, edgeTo, nodeType } = g.data;
  const synthetic = g.data.nodeTypes.indexOf('synthetic');
  const distance = new Uint32Array(n).fill(NONE);
  const viaEdge = new Uint32Array(n).fill(NONE);
  const viaNode = new Uint32Array(n).fill(NONE);
  const queue = new Uint32Array(n);
  const deferred: number[] = [];
  let head = 0;
  let tail = 0;
  distance[0] = 0;
  queue[tail++] = 0;
  for (let phase = 0; phase < 2; phase++) {
    if (phase === 1) {
      for (const r of deferred) {
        distance[r] += DEFERRED_DISTANCE;
        queue[tail++] = r;
      }
    }
    while (head < tail) {
      const v = queue[head++];
      if (phase === 0 && nodeType[v] === synthetic && v !== 0 && DEFERRED_ROOTS.has(g.nodeName(v))) {
        deferred.push(v);
        continue;
      }
      const dv = distance[v] + 1;
      for (let e = firstEdge[v]; e < firstEdge[v + 1]; e++) {
        const w = edgeTo[e];
        if (distance[w] !== NONE || !g.isEssentialEdge(v, e)) continue;
        distance[w] = dv;
        viaEdge[w] = e;
        viaNode[w] = v;
        queue[tail++] = w;
      }
    }
  }
  return { distance, viaEdge, viaNode };
}

/** The path from the GC roots to node i (the synthetic root itself left out). */
export function retainerPath(g: HeapGraph, paths: ShortestPaths, i: number): RetainerStep[] {
  const steps: RetainerStep[] = [];
  if (paths.distance[i] === NONE) return steps;
  for (let v = i; v !== 0; v = paths.viaNode[v]) {
    const e = paths.viaEdge[v];
    steps.push({
      edge: paths.viaNode[v] === 0 ? '' : g.edgeLabel(e),
      edgeType: g.edgeTypeName(e),
      node: g.nodeName(v),
      nodeType: g.nodeTypeName(v),
      nodeId: g.data.nodeId[v],
    });
  }
  return steps.reverse();
}

/** `(GC roots) → Window / global → Map 'cache' → Array → Session` */
export function formatRetainerPath(steps: RetainerStep[]): string {
  if (steps.length === 0) return '(unreachable)';
  return steps
    .map((s) => {
      const node = s.nodeType === 'closure' ? `${s.node || '(anonymous)'}()` : isStringType(s.nodeType) ? '(string)' : s.node || `(${s.nodeType})`;
      if (!s.edge) return node;
      const edge = s.edgeType === 'element' ? `[${s.edge}]` : s.edgeType === 'hidden' ? `<${s.edge}>` : `'${s.edge}'`;
      return `${node} ${edge}`;
    })
    .join(' → ');
}

function isStringType(t: string): boolean {
  return t === 'string' || t === 'concatenated string' || t === 'sliced string';
}
