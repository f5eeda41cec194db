import * as v8 from 'node:v8';
import { inspectorPost, inspectorPostTimed } from './inspector-session';
import { ReadCadence } from './read-cadence';
import { minorGcCount } from './probes/gc';
import type { HeapFrame, HeapSite, HeapSitesMessage } from '../protocol/messages';
import type { AgentContext } from './context';

/**
 * Tier 2 of leak detection, agent side: V8's sampling heap profiler runs in-process, and every
 * `periodMs` (plus on the `heapSites` command, which the CLI sends after the forced GC closing
 * each `--rounds` round) its live samples are summed per allocation site and sent as one
 * `heapSites` message. The core tracks each site's series.
 *
 * Measured on Node 20 with the app pinned to its own CPU: an HTTP app spends 2–5 % more CPU
 * per request while the sampling profiler runs at 128 KB (perf: ~2 % of a minimal handler's
 * samples are in V8's sampling heap profiler). So with `heapSampling: true` (or settings) in
 * PERF_LENS_OPTIONS, which the extension and `perf-lens run` set by default, only tier 1 runs
 * from the start (ReadCadence's looks at the old generation); the profiler starts when they
 * first see the heap grow, and its first read comes a period later. It starts at once on the
 * first `heapSites` / `startHeapSampling` command (`--rounds` sends one at the baseline), or
 * with `sampleFromStart`.
 *
 * A site is the nearest *application* frame (not node:, not node_modules, not the agent) on
 * the allocating stack: Map.prototype.set, EventEmitter#_addListener or new Timeout allocate
 * in builtins, but the line to fix is the caller's. The profile names functions, not
 * statements: line and column are the function's start.
 *
 * Measured on Node 20: every getSamplingProfile runs a full (major) GC first. So each read
 * holds live objects only (no garbage noise) and costs a full GC: reads wait until the live heap
 * or the old generation grows (ReadCadence), then come every 10 s while the live heap rises.
 * A leak is judged by how its site's sampled bytes grow from read to read, so allocations made
 * before the profiler started are not needed; once started it keeps sampling.
 */

export interface HeapSamplingSettings {
  /** sampling interval in bytes; 128 KB measured ≈0 % overhead (bench/heap-sampling.js) */
  intervalBytes: number;
  /** ms between profiles read on the agent's own clock while the heap grows */
  periodMs: number;
  /** growth (bytes) of the live heap, or of the old generation, that wakes the reads (see ReadCadence) */
  wakeBytes: number;
  /** old-generation growth wakes the reads only after this long (ms) without a full GC of V8's own */
  quietGcMs: number;
  /** V8's own full GCs in the first ms of sampling (start-up) are not live-heap points */
  settleMs: number;
  /** the longest between two reads while the heap is quiet; 0: none unless it grows */
  maxQuietPeriodMs: number;
  /** ms between two looks at the old generation's size (tier 1, ~2 µs each) */
  checkMs: number;
  /** sample from the start instead of from the first growth tier 1 sees (costs 2–5 % of CPU meanwhile) */
  sampleFromStart: boolean;
  /** sites per message (heaviest first) */
  maxSites: number;
  /** calling frames kept per site */
  maxCallers: number;
}

export const DEFAULT_HEAP_SAMPLING: Readonly<HeapSamplingSettings> = Object.freeze({
  intervalBytes: 128 * 1024,
  periodMs: 10_000,
  wakeBytes: 512 * 1024,
  quietGcMs: 20_000,
  settleMs: 5_000,
  maxQuietPeriodMs: 0,
  checkMs: 1000,
  sampleFromStart: false,
  maxSites: 40,
  maxCallers: 6,
});

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  callFrame: CallFrame;
  selfSize: number;
  id: number;
  children: ProfileNode[];
}
interface SamplingProfile {
  head: ProfileNode;
  samples: Array<{ size: number; nodeId: number }>;
}

/** Settings from the caller, else `heapSampling` in PERF_LENS_OPTIONS, else the defaults. */
function settingsFrom(given?: Partial<HeapSamplingSettings>): HeapSamplingSettings {
  let raw: unknown = given;
  if (!raw) {
    try {
      raw = (JSON.parse(process.env.PERF_LENS_OPTIONS || '{}') as { heapSampling?: unknown }).heapSampling;
    } catch {
      raw = undefined;
    }
  }
  const s = { ...DEFAULT_HEAP_SAMPLING };
  if (raw && typeof raw === 'object') {
    const r = raw as Record<string, unknown>;
    const pick = (k: Exclude<keyof HeapSamplingSettings, 'sampleFromStart'>, min: number, max: number) => {
      const v = r[k];
      if (typeof v === 'number' && Number.isFinite(v)) s[k] = Math.min(max, Math.max(min, Math.floor(v)));
    };
    pick('intervalBytes', 1024, 16 * 1024 * 1024);
    pick('periodMs', 500, 3_600_000);
    pick('wakeBytes', 4096, 1024 * 1024 * 1024);
    pick('quietGcMs', 0, 24 * 3_600_000);
    pick('settleMs', 0, 24 * 3_600_000);
    pick('maxQuietPeriodMs', 0, 24 * 3_600_000);
    pick('checkMs', 50, 60_000);
    pick('maxSites', 1, 200);
    pick('maxCallers', 0, 32);
    if (typeof r.sampleFromStart === 'boolean') s.sampleFromStart = r.sampleFromStart;
  }
  return s;
}

/** `heapSampling` of PERF_LENS_OPTIONS: false (never), true or settings (from the start), absent (on demand). */
function requested(): boolean | undefined {
  try {
    const v = (JSON.parse(process.env.PERF_LENS_OPTIONS || '{}') as { heapSampling?: unknown }).heapSampling;
    if (v === false) return false;
    if (v === true || (v !== null && typeof v === 'object')) return true;
  } catch {
    /* malformed options: the default */
  }
  return undefined;
}

export function installHeapSampling(ctx: AgentContext, given?: Partial<HeapSamplingSettings>): void {
  const settings = settingsFrom(given);
  const wanted = given !== undefined ? true : requested();
  if (wanted === false) return;
  const post = inspectorPost;

  let reading = false;
  let cadence: ReadCadence | undefined; // tier 1: from the start, or from the first command
  let timer: NodeJS.Timeout | null = null;
  const watch = (): void => {
    if (cadence) return;
    cadence = new ReadCadence(settings, performance.now());
    timer = setInterval(check, settings.checkMs);
    timer.unref();
  };

  let started: Promise<void> | null = null;
  const ensureStarted = (): Promise<void> => {
    watch();
    started ??= post('HeapProfiler.startSampling', { samplingInterval: settings.intervalBytes });
    return started;
  };

  const read = async (round?: number, gc = false): Promise<HeapSitesMessage> => {
    await ensureStarted();
    if (gc) {
      await post('HeapProfiler.collectGarbage');
      await post('HeapProfiler.collectGarbage');
    }
    const got = await inspectorPostTimed<{ profile: SamplingProfile }>('HeapProfiler.getSamplingProfile');
    const began = performance.now();
    const live = heapNow().oldBytes; // the read's own full GC just ran
    const msg = toMessage(ctx, got.result.profile, settings);
    // the time the app was held: V8's GC and profile, then our walk of it
    msg.durationMs = got.ms + (performance.now() - began);
    if (round !== undefined) msg.round = round;
    ctx.emit(msg);
    cadence?.afterRead(msg.durationMs, msg.totalBytes, live, performance.now());
    return msg;
  };

  const tick = () => {
    if (reading) return;
    reading = true;
    read()
      .catch(() => undefined)
      .finally(() => (reading = false));
  };
  function check(): void {
    try {
      if (reading || cadence === undefined) return;
      const heap = heapNow();
      const now = performance.now();
      if (!cadence.due(heap.oldBytes, now, heap.allocatedBytes)) return;
      if (started !== null) return tick();
      // the first growth: the profiler starts now and holds nothing yet, so it is read a period on
      ensureStarted().catch(() => undefined);
      cadence.deferRead(now);
    } catch {
      /* never into the app */
    }
  }

  if (wanted && settings.sampleFromStart) ensureStarted().catch(() => undefined);
  else if (wanted) watch();
  // the editor's Watch for Leaks Now: sampling if it was not yet, and reads at the full rate from now
  ctx.onCommand?.('startHeapSampling', () => {
    const wasRunning = started !== null;
    return ensureStarted().then(() => {
      cadence?.wakeNow();
      return { intervalBytes: settings.intervalBytes, wasRunning };
    });
  });

  // After `measureHeap`, the CLI asks for the sites of the round that just ended. A GC of our
  // own first (default on) so the profile holds live objects only, whoever asks.
  ctx.onCommand?.('heapSites', (args) => {
    const round = Number.isSafeInteger(args.round) ? (args.round as number) : undefined;
    return read(round, args.gc !== false).then((m) => ({ sites: m.sites.length, totalBytes: m.totalBytes }));
  });
}

/**
 * From one read of V8's spaces: `oldBytes`, the used bytes of every space but the young
 * generation's (after a full GC, the live heap); `allocatedBytes`, what the app allocated so far,
 * roughly a scavenge per semi-space filled (the gc probe counts them), -1 without the gc probe.
 */
function heapNow(): { oldBytes: number; allocatedBytes: number } {
  const scavenges = minorGcCount();
  let oldBytes = 0;
  let allocatedBytes = -1;
  for (const space of v8.getHeapSpaceStatistics()) {
    if (!space.space_name.startsWith('new_')) oldBytes += space.space_used_size;
    else if (space.space_name === 'new_space' && scavenges > 0) allocatedBytes = scavenges * (space.space_size / 2);
  }
  return { oldBytes, allocatedBytes };
}

const SELF = typeof __filename === 'string' ? __filename : '';

/** Code the developer owns: has a script URL, and is neither Node's, a dependency's, nor ours. */
function isAppUrl(url: string): boolean {
  return (
    url !== '' &&
    !url.startsWith('node:') &&
    !url.includes('/node_modules/') &&
    !url.includes('\\node_modules\\') &&
    url !== SELF &&
    !(SELF && url === `file://${SELF}`)
  );
}

/** A dependency's code: where a library structure (a session store, a cache) may keep what the app made. */
function isLibraryUrl(url: string): boolean {
  return url.includes('/node_modules/') || url.includes('\\node_modules\\');
}

function frameOf(cf: CallFrame): HeapFrame {
  return { name: cf.functionName, url: cf.url, line: cf.lineNumber + 1, column: cf.columnNumber + 1 };
}

interface SiteAcc {
  frame: CallFrame;
  bytes: number;
  count: number;
  heaviest: number;
  callers: HeapFrame[];
  allocatedBy?: HeapFrame;
  library?: HeapFrame;
}

/** Sums live bytes per application site; iterative walk (profiles can be deep). */
function toMessage(ctx: AgentContext, profile: SamplingProfile, s: HeapSamplingSettings): HeapSitesMessage {
  const samplesPerNode = new Map<number, number>();
  for (const x of profile.samples) samplesPerNode.set(x.nodeId, (samplesPerNode.get(x.nodeId) ?? 0) + 1);
  const sites = new Map<string, SiteAcc>();
  let totalBytes = 0;
  // path[i] is the i-th frame from the root down to the node being visited
  const path: ProfileNode[] = [];
  const stack: Array<{ node: ProfileNode; depth: number }> = [{ node: profile.head, depth: 0 }];
  while (stack.length) {
    const { node, depth } = stack.pop()!;
    path.length = depth;
    path.push(node);
    for (const c of node.children) stack.push({ node: c, depth: depth + 1 });
    if (node.selfSize <= 0) continue;
    totalBytes += node.selfSize;
    let at = depth;
    while (at >= 0 && !isAppUrl(path[at].callFrame.url)) at--;
    if (at < 0) continue;
    const cf = path[at].callFrame;
    const key = `${cf.url}:${cf.lineNumber}:${cf.columnNumber}`;
    let site = sites.get(key);
    if (!site) sites.set(key, (site = { frame: cf, bytes: 0, count: 0, heaviest: 0, callers: [] }));
    site.bytes += node.selfSize;
    site.count += samplesPerNode.get(node.id) ?? 0;
    if (node.selfSize > site.heaviest) {
      site.heaviest = node.selfSize;
      site.callers = [];
      for (let i = at - 1; i >= 0 && site.callers.length < s.maxCallers; i--) {
        if (isAppUrl(path[i].callFrame.url)) site.callers.push(frameOf(path[i].callFrame));
      }
      site.allocatedBy = at === depth ? undefined : frameOf(node.callFrame);
      site.library = undefined;
      for (let i = depth; i > at; i--) {
        if (isLibraryUrl(path[i].callFrame.url)) {
          site.library = frameOf(path[i].callFrame);
          break;
        }
      }
    }
  }
  const top = [...sites.values()].sort((a, b) => b.bytes - a.bytes).slice(0, s.maxSites);
  return {
    type: 'heapSites',
    pid: ctx.pid,
    t: ctx.now(),
    intervalBytes: s.intervalBytes,
    totalBytes,
    sites: top.map((a) => {
      const site: HeapSite = { ...frameOf(a.frame), bytes: a.bytes, count: a.count };
      if (a.callers.length) site.callers = a.callers;
      if (a.allocatedBy) site.allocatedBy = a.allocatedBy;
      if (a.library) site.library = a.library;
      return site;
    }),
  };
}
