import { fileURLToPath } from 'node:url';
import type { HeapFrame, HeapSitesMessage, SourceLocation } from '../../protocol';

/** Maps a location into the file the developer edits (source maps); identity when absent. */
export type SiteLocationMapper = (loc: SourceLocation) => SourceLocation;

export interface SitePoint {
  t: number;
  bytes: number;
  count: number;
}

export interface TrackedSite {
  key: string;
  name: string;
  /** the function's start, source-mapped; null when the script has no file (eval, a URL the core cannot open) */
  location: SourceLocation | null;
  /** the same start in the file V8 ran (before source maps): where the retaining line is looked for */
  generated: SourceLocation | null;
  /** calling frames of the latest heaviest path, nearest first */
  callers: Array<{ name: string; location: SourceLocation | null }>;
  /** the non-application frame that allocated (builtin, node:, a dependency) */
  allocatedBy: string | null;
  /** the innermost dependency frame under the site that allocated: the library that may keep it */
  library: { name: string; location: SourceLocation } | null;
  points: SitePoint[];
}

export interface SiteSample {
  t: number;
  round?: number;
  intervalBytes: number;
}

/** Bounds: distinct sites, and samples kept (thinned by half when full: trends survive). */
const MAX_SITES = 1000;
const MAX_SAMPLES = 2048;

/** A profiler URL as a path: file:// URLs and absolute paths; null for node:, eval, http… */
export function fileOfUrl(url: string): string | null {
  if (url.startsWith('file://')) {
    try {
      return fileURLToPath(url);
    } catch {
      return null;
    }
  }
  if (url.startsWith('/') || /^[A-Za-z]:[\\/]/.test(url)) return url;
  return null;
}

function generatedOf(frame: HeapFrame): SourceLocation | null {
  const file = fileOfUrl(frame.url);
  return file ? { file, line: Math.max(1, frame.line), column: Math.max(1, frame.column) } : null;
}

function locate(frame: HeapFrame, map?: SiteLocationMapper): SourceLocation | null {
  const loc = generatedOf(frame);
  if (!loc) return null;
  try {
    return map ? map(loc) : loc;
  } catch {
    return loc;
  }
}

function label(frame: HeapFrame): string {
  const where = frame.url ? ` (${frame.url}:${frame.line}:${frame.column})` : '';
  return `${frame.name || '(anonymous)'}${where}`;
}

/**
 * Per-site series of live bytes from a process's `heapSites` messages. Pure and bounded; one
 * per session, fed in arrival order. A site absent from a message counts as 0 bytes there
 * (it was below the top-N cut): how a leak that starts small shows its first steps.
 */
export class HeapSiteHistory {
  readonly samples: SiteSample[] = [];
  readonly sites = new Map<string, TrackedSite>();
  /** the session's source-map step, kept to map retaining lines found in generated files */
  mapLocation: SiteLocationMapper | undefined;

  add(msg: HeapSitesMessage, map?: SiteLocationMapper): void {
    this.mapLocation = map;
    if (this.samples.length >= MAX_SAMPLES) this.thin();
    const sample: SiteSample = { t: msg.t, intervalBytes: msg.intervalBytes };
    if (msg.round !== undefined) sample.round = msg.round;
    this.samples.push(sample);
    for (const s of msg.sites) {
      const key = `${s.url}:${s.line}:${s.column}`;
      let site = this.sites.get(key);
      if (!site) {
        if (this.sites.size >= MAX_SITES) this.evictSmallest();
        site = { key, name: s.name, location: locate(s, map), generated: generatedOf(s), callers: [], allocatedBy: null, library: null, points: [] };
        this.sites.set(key, site);
      }
      if (s.callers) site.callers = s.callers.map((c) => ({ name: c.name, location: locate(c, map) }));
      site.allocatedBy = s.allocatedBy ? label(s.allocatedBy) : site.allocatedBy;
      const lib = s.library ?? (s.allocatedBy && /[\\/]node_modules[\\/]/.test(s.allocatedBy.url) ? s.allocatedBy : undefined);
      const libFile = lib ? fileOfUrl(lib.url) : null;
      const known = site.library?.location;
      // kept while the frame is the same, so what is derived from it can be kept too
      if (lib && libFile && !(known && known.file === libFile && known.line === lib.line && known.column === lib.column)) {
        site.library = { name: lib.name, location: { file: libFile, line: lib.line, column: lib.column } };
      }
      site.points.push({ t: msg.t, bytes: s.bytes, count: s.count });
    }
  }

  /** The site's bytes at every sample `filter` keeps, 0 where it was not reported. */
  series(site: TrackedSite, filter: (s: SiteSample) => boolean): Array<SitePoint & { round?: number }> {
    const byT = new Map(site.points.map((p) => [p.t, p]));
    const out: Array<SitePoint & { round?: number }> = [];
    for (const s of this.samples) {
      if (!filter(s)) continue;
      const p = byT.get(s.t);
      out.push({ t: s.t, bytes: p?.bytes ?? 0, count: p?.count ?? 0, round: s.round });
    }
    return out;
  }

  private thin(): void {
    const keep = new Set<number>();
    const kept = this.samples.filter((s, i) => i % 2 === 0 || s.round !== undefined);
    for (const s of kept) keep.add(s.t);
    this.samples.length = 0;
    this.samples.push(...kept);
    for (const site of this.sites.values()) site.points = site.points.filter((p) => keep.has(p.t));
  }

  private evictSmallest(): void {
    let worst: TrackedSite | null = null;
    let worstBytes = Infinity;
    for (const site of this.sites.values()) {
      const last = site.points[site.points.length - 1]?.bytes ?? 0;
      if (last < worstBytes) {
        worstBytes = last;
        worst = site;
      }
    }
    if (worst) this.sites.delete(worst.key);
  }
}
