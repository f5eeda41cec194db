import type { HeapGraph } from './heap-graph';

export interface ConstructorStat {
  /** Node type: object, closure, string, array, code, hidden, … */
  type: string;
  /** The node's name: a constructor for objects, the function for closures. */
  name: string;
  count: number;
  selfSize: number;
}

/** Count and self size per (type, name), largest self size first. */
export function constructorStats(graph: HeapGraph): ConstructorStat[] {
  const d = graph.data;
  const byKey = new Map<number, ConstructorStat>();
  const types = d.nodeTypes.length + 1;
  for (let i = 0; i < d.nodeCount; i++) {
    const key = d.nodeName[i] * types + d.nodeType[i];
    let s = byKey.get(key);
    if (!s) {
      s = { type: graph.nodeTypeName(i), name: graph.nodeName(i), count: 0, selfSize: 0 };
      byKey.set(key, s);
    }
    s.count++;
    s.selfSize += d.selfSize[i];
  }
  return [...byKey.values()].sort((a, b) => b.selfSize - a.selfSize || b.count - a.count);
}
