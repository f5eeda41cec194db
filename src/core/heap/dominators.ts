import { type HeapGraph, NONE } from './heap-graph';

export interface DominatorTree {
  /** Immediate dominator of each node (root: itself; unreachable: NONE). */
  idom: Uint32Array;
  /** Self size plus everything only reachable through the node. */
  retained: Float64Array;
  /** Reachable nodes in DFS preorder (root first); a dominator always comes before the nodes it dominates. */
  order: Uint32Array;
  reachable: number;
}

/** Predecessors over essential edges, as CSR: preds of w are from[first[w]..first[w+1]). */
function reverseEdges(g: HeapGraph): { first: Uint32Array; from: Uint32Array } {
  const { firstEdge, edgeTo } = g.data;
  const n = g.nodeCount;
  const first = new Uint32Array(n + 1);
  for (let v = 0; v < n; v++) {
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e++) if (g.isEssentialEdge(v, e)) first[edgeTo[e] + 1]++;
  }
  for (let v = 0; v < n; v++) first[v + 1] += first[v];
  const from = new Uint32Array(first[n]);
  const fill = first.slice(0, n);
  for (let v = 0; v < n; v++) {
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e++) if (g.isEssentialEdge(v, e)) from[fill[edgeTo[e]]++] = v;
  }
  return { first, from };
}

/**
 * Lengauer–Tarjan (simple version, path compression) from the synthetic root over essential
 * edges (weak edges skipped), all in typed arrays and without recursion.
 */
export function computeDominators(g: HeapGraph): DominatorTree {
  const n = g.nodeCount;
  const { firstEdge, edgeTo, selfSize } = g.data;
  // 1. Iterative DFS: preorder numbers.
  const pre = new Uint32Array(n).fill(NONE);
  const vertex = new Uint32Array(n);
  const parent = new Uint32Array(n);
  let count = 0;
  // Scratch of the DFS, reused below as bucketHead and path: the n-sized arrays are what this costs.
  const stack = new Uint32Array(n);
  const cursor = new Uint32Array(n);
  {
    let sp = 0;
    pre[0] = count;
    vertex[count++] = 0;
    stack[sp] = 0;
    cursor[sp++] = firstEdge[0];
    while (sp > 0) {
      const v = stack[sp - 1];
      const e = cursor[sp - 1];
      if (e >= firstEdge[v + 1]) {
        sp--;
        continue;
      }
      cursor[sp - 1] = e + 1;
      if (!g.isEssentialEdge(v, e)) continue;
      const w = edgeTo[e];
      if (pre[w] !== NONE) continue;
      pre[w] = count;
      vertex[count++] = w;
      parent[w] = v;
      stack[sp] = w;
      cursor[sp++] = firstEdge[w];
    }
  }
  // 2. Semidominators and implicit idoms, in reverse preorder.
  const preds = reverseEdges(g);
  // Preorder number of the semidominator, in place of `pre`: it starts as pre, stays NONE
  // exactly for unreachable nodes, and pre is not needed once it is computed.
  const semi = pre;
  const label = new Uint32Array(n);
  for (let v = 0; v < n; v++) label[v] = v;
  const ancestor = new Uint32Array(n).fill(NONE);
  const idom = new Uint32Array(n).fill(NONE);
  const bucketHead = stack.fill(NONE);
  const bucketNext = new Uint32Array(n).fill(NONE);
  const path = cursor;

  const evaluate = (v: number): number => {
    if (ancestor[v] === NONE) return v;
    // compress: collect the chain whose ancestors have ancestors, then fold from the top down
    let sp = 0;
    let u = v;
    while (ancestor[ancestor[u]] !== NONE) {
      path[sp++] = u;
      u = ancestor[u];
    }
    while (sp > 0) {
      const x = path[--sp];
      const a = ancestor[x];
      if (semi[label[a]] < semi[label[x]]) label[x] = label[a];
      ancestor[x] = ancestor[a];
    }
    return label[v];
  };

  for (let i = count - 1; i > 0; i--) {
    const w = vertex[i];
    let s = semi[w];
    for (let k = preds.first[w]; k < preds.first[w + 1]; k++) {
      const v = preds.from[k];
      if (semi[v] === NONE) continue; // unreachable predecessor
      const u = evaluate(v);
      if (semi[u] < s) s = semi[u];
    }
    semi[w] = s;
    const sv = vertex[s];
    bucketNext[w] = bucketHead[sv];
    bucketHead[sv] = w;
    const p = parent[w];
    ancestor[w] = p;
    for (let v = bucketHead[p]; v !== NONE; v = bucketNext[v]) {
      const u = evaluate(v);
      idom[v] = semi[u] < semi[v] ? u : p;
    }
    bucketHead[p] = NONE;
  }
  for (let i = 1; i < count; i++) {
    const w = vertex[i];
    if (idom[w] !== vertex[semi[w]]) idom[w] = idom[idom[w]];
  }
  idom[0] = 0;

  // 3. Retained sizes: children before their dominator (reverse preorder).
  const retained = Float64Array.from(selfSize);
  for (let i = count - 1; i > 0; i--) {
    const w = vertex[i];
    retained[idom[w]] += retained[w];
  }
  return { idom, retained, order: vertex.subarray(0, count), reachable: count };
}

/** Children lists of the dominator tree (CSR), in the order of `order`. */
export function dominatorChildren(tree: DominatorTree, n: number): { first: Uint32Array; child: Uint32Array } {
  const first = new Uint32Array(n + 1);
  const { idom, order } = tree;
  for (let i = 1; i < order.length; i++) first[idom[order[i]] + 1]++;
  for (let v = 0; v < n; v++) first[v + 1] += first[v];
  const child = new Uint32Array(first[n]);
  const fill = first.slice(0, n);
  for (let i = 1; i < order.length; i++) {
    const w = order[i];
    child[fill[idom[w]]++] = w;
  }
  return { first, child };
}
