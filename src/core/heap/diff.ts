import { computeDominators, dominatorChildren } from './dominators';
import { type HeapGraph, hasId, NONE } from './heap-graph';
import { formatRetainerPath, type RetainerStep, retainerPath, shortestPaths } from './retainers';

export interface SourceLocation {
  scriptId: number;
  /** From the scriptId → URL map given to diffSnapshots, or the allocation trace. */
  url?: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export interface LeakGroup {
  /** Constructor name for objects, function name for closures, "(string)" for strings. */
  name: string;
  nodeType: string;
  /** Allocation site (with allocation tracking) or the constructor's / function's start. */
  location: SourceLocation | null;
  /** The allocating function when the snapshot carries allocation traces. */
  allocatedBy?: string;
  count: number;
  selfSize: number;
  /** What freeing the group would free: retained sizes of members no other member dominates. */
  retainedSize: number;
  /** Shortest path from the GC roots to the group's nearest member. */
  retainerPath: RetainerStep[];
  retainerPathText: string;
  sampleNodeId: number;
}

export interface DiffOptions {
  /** scriptId → URL (from Debugger.scriptParsed); the snapshot itself has no such table. */
  scriptUrls?: Map<number, string> | Record<string, string>;
  /** Also report V8-internal nodes (arrays backing stores, code, hidden, shapes). */
  includeInternal?: boolean;
}

/** Node types that are V8's own bookkeeping rather than objects the app made. */
const INTERNAL_TYPES = new Set(['hidden', 'array', 'code', 'synthetic', 'object shape']);
const STRING_TYPES = new Set(['string', 'concatenated string', 'sliced string']);

/** The ids of a snapshot, sorted: all diffSnapshots needs of the baseline and the target. */
export type IdSet = Uint32Array;

function idsOf(x: HeapGraph | IdSet): IdSet {
  return x instanceof Uint32Array ? x : x.sortedIds();
}

/**
 * Leak candidates of three snapshots taken in one process: objects of `c` (final) whose ids
 * are in `b` (target) but not in `a` (baseline) — allocated between A and B and still
 * alive at C — grouped by constructor, allocation location and the *shape* of their retainer
 * path (dictionary keys and array indices collapsed, as memlab clusters traces), largest
 * retained size first: a store of thousands of sessions is one group, not one per session id.
 */
export function diffSnapshots(a: HeapGraph | IdSet, b: HeapGraph | IdSet, c: HeapGraph, opts: DiffOptions = {}): LeakGroup[] {
  const idsA = idsOf(a);
  const idsB = idsOf(b);
  const d = c.data;
  const n = c.nodeCount;
  const paths = shortestPaths(c);
  const urls = urlLookup(opts.scriptUrls);
  const skipType = new Uint8Array(d.nodeTypes.length);
  d.nodeTypes.forEach((t, k) => (skipType[k] = !opts.includeInternal && INTERNAL_TYPES.has(t) ? 1 : 0));

  const leaked = new Uint8Array(n);
  for (let i = 1; i < n; i++) {
    if (skipType[d.nodeType[i]] || paths.distance[i] === NONE) continue;
    const id = d.nodeId[i];
    if (hasId(idsB, id) && !hasId(idsA, id)) leaked[i] = 1;
  }
  const shapes = new PathShapes(c, paths);
  const groupOf = new Int32Array(n).fill(-1);
  const groups: LeakGroup[] = [];
  const byKey = new Map<string, number>();
  const nearest: number[] = [];
  for (let i = 1; i < n; i++) {
    // a leaked object held by another leaked object is part of it (a session's history array,
    // an entry's payload string, a closure's context): counted in its retained size, not apart
    if (!leaked[i] || leaked[paths.viaNode[i]]) continue;
    const id = d.nodeId[i];
    const type = c.nodeTypeName(i);
    const name = STRING_TYPES.has(type) ? '(string)' : c.nodeName(i) || `(${type})`;
    const site = siteOf(c, i, urls);
    // Plain objects and arrays have no site of their own: the path that holds them tells the
    // app's leaking `history` entries apart from the runtime's objects of the same constructor.
    const key = `${type}\0${name}\0${site.key}\0${shapes.of(i)}`;
    let gi = byKey.get(key);
    if (gi === undefined) {
      gi = groups.length;
      byKey.set(key, gi);
      groups.push({
        name, nodeType: type, location: site.location, ...(site.allocatedBy ? { allocatedBy: site.allocatedBy } : {}),
        count: 0, selfSize: 0, retainedSize: 0, retainerPath: [], retainerPathText: '', sampleNodeId: id,
      });
      nearest.push(i);
    }
    const g = groups[gi];
    g.count++;
    g.selfSize += d.selfSize[i];
    groupOf[i] = gi;
    if (paths.distance[i] < paths.distance[nearest[gi]]) nearest[gi] = i;
  }
  if (groups.length === 0) return groups;

  addRetainedSizes(c, groupOf, groups);
  groups.forEach((g, gi) => {
    g.retainerPath = retainerPath(c, paths, nearest[gi]);
    g.retainerPathText = formatRetainerPath(g.retainerPath);
    g.sampleNodeId = d.nodeId[nearest[gi]];
  });
  return groups.sort((x, y) => y.retainedSize - x.retainedSize || y.count - x.count);
}

/** A property edge whose name is data, not code: an id, a number, a hash, a URL. */
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
function isKeyLike(label: string): boolean {
  if (!IDENTIFIER.test(label)) return true;
  return label.length >= 12 && /\d/.test(label) && /[A-Za-z]/.test(label);
}
/** An object with this many properties is a dictionary: all its property names are keys. */
const DICTIONARY_EDGES = 256;
/** Steps walked up per node before taking a memoised ancestor's shape. */
const MAX_WALK = 10_000;

/**
 * Retainer path shapes, one small integer per node: the shape of a node is its parent's shape,
 * the edge (array indices and dictionary keys collapsed) and the node's kind. Memoised, so each
 * node is visited once however many leaked objects hang below it.
 */
class PathShapes {
  private readonly shape: Int32Array;
  private readonly ids = new Map<string, number>();

  constructor(private readonly c: HeapGraph, private readonly paths: ReturnType<typeof shortestPaths>) {
    this.shape = new Int32Array(c.nodeCount).fill(-1);
    this.shape[0] = 0;
  }

  of(i: number): number {
    const chain: number[] = [];
    let v = i;
    while (this.shape[v] < 0 && chain.length < MAX_WALK) {
      chain.push(v);
      const parent = this.paths.viaNode[v];
      if (parent === NONE) break;
      v = parent;
    }
    let parentShape = this.shape[v] < 0 ? 0 : this.shape[v];
    for (let k = chain.length - 1; k >= 0; k--) {
      const node = chain[k];
      parentShape = this.intern(`${parentShape}|${this.step(node)}`);
      this.shape[node] = parentShape;
    }
    return this.shape[i];
  }

  private step(node: number): string {
    const { c } = this;
    const parent = this.paths.viaNode[node];
    const e = this.paths.viaEdge[node];
    const type = c.nodeTypeName(node);
    // strings are named by their content, numbers by their value: only their type is shape
    const what = type === 'object' || type === 'closure' || type === 'native' || type === 'synthetic' ? `${type}:${c.nodeName(node)}` : type;
    if (parent === NONE || e === NONE) return what;
    const edgeType = c.edgeTypeName(e);
    let edge: string;
    if (edgeType === 'element' || edgeType === 'hidden') edge = `${edgeType}[]`;
    else if (edgeType === 'property') {
      const label = c.edgeLabel(e);
      const many = c.data.firstEdge[parent + 1] - c.data.firstEdge[parent] > DICTIONARY_EDGES;
      edge = many || isKeyLike(label) ? 'property[key]' : `property:${label}`;
    } else {
      const label = c.edgeLabel(e);
      // slots of V8's own tables (a dictionary's hash table, a context's slots) are indices too
      edge = /^\d+$/.test(label) ? `${edgeType}[]` : `${edgeType}:${label}`;
    }
    return `${edge}>${what}`;
  }

  private intern(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) this.ids.set(key, (id = this.ids.size + 1));
    return id;
  }
}

/** Like DevTools' class retained size: walk the dominator tree, count only a group's topmost members. */
function addRetainedSizes(c: HeapGraph, groupOf: Int32Array, groups: LeakGroup[]): void {
  const tree = computeDominators(c);
  const kids = dominatorChildren(tree, c.nodeCount);
  const depth = new Uint32Array(groups.length);
  const stack = new Uint32Array(tree.reachable);
  const cursor = new Uint32Array(tree.reachable);
  let sp = 0;
  stack[sp] = 0;
  cursor[sp++] = kids.first[0];
  while (sp > 0) {
    const v = stack[sp - 1];
    const k = cursor[sp - 1];
    if (k < kids.first[v + 1]) {
      cursor[sp - 1] = k + 1;
      const w = kids.child[k];
      const g = groupOf[w];
      if (g >= 0) {
        if (depth[g] === 0) groups[g].retainedSize += tree.retained[w];
        depth[g]++;
      }
      stack[sp] = w;
      cursor[sp++] = kids.first[w];
    } else {
      sp--;
      const g = groupOf[v];
      if (g >= 0) depth[g]--;
    }
  }
}

interface Site {
  key: string;
  location: SourceLocation | null;
  allocatedBy?: string;
}

function siteOf(c: HeapGraph, i: number, urls: (id: number) => string | undefined): Site {
  const fi = c.traceFunction(i);
  if (fi >= 0) {
    const fields = c.data.traceFunctionInfoFields;
    const row = c.data.traceFunctionInfos.subarray(fi * fields.length, (fi + 1) * fields.length);
    const at = (f: string): number => row[fields.indexOf(f)];
    const scriptId = at('script_id');
    const script = c.strings.get(at('script_name'));
    const url = urls(scriptId) ?? (script || undefined);
    // Trace infos are already 1-based (0 = unknown).
    const location: SourceLocation = { scriptId, ...(url ? { url } : {}), line: at('line'), column: at('column') };
    const allocatedBy = c.strings.get(at('name')) || '(anonymous)';
    return { key: `t${fi}`, location, allocatedBy };
  }
  const r = c.locationRow(i);
  if (r < 0) return { key: '', location: null };
  const loc = c.data.locations;
  const scriptId = loc[r * 4 + 1];
  const url = urls(scriptId);
  const location: SourceLocation = { scriptId, ...(url ? { url } : {}), line: loc[r * 4 + 2] + 1, column: loc[r * 4 + 3] + 1 };
  return { key: `${scriptId}:${location.line}:${location.column}`, location };
}

function urlLookup(map: DiffOptions['scriptUrls']): (id: number) => string | undefined {
  if (!map) return () => undefined;
  if (map instanceof Map) return (id) => map.get(id);
  return (id) => map[String(id)];
}
