import type { SourceLocation } from '../../protocol';
import { readSourceFromDisk, type SourceReader } from '../util/source-text';
import { findRetainingLine, type RetainingLine } from './retaining-line';
import type { SiteLocationMapper, TrackedSite } from '../session/site-history';

/** Where a leaking site's memory is kept, in the file the developer edits. */
export interface SiteRetainer {
  location: SourceLocation;
  /** e.g. `cache.set(…)` */
  statement: string;
  functionName: string;
  /** a same-file function called on that line that does the storing */
  via?: { location: SourceLocation; statement: string; functionName: string };
}

/** One answer per tracked site: a site's function does not move while the process runs. */
const found = new WeakMap<TrackedSite, SiteRetainer | null>();

const sameLocation = (a: SourceLocation, b: SourceLocation) => a.file === b.file && a.line === b.line && a.column === b.column;

/**
 * The retaining line of a site. The search runs on the file V8 ran (the generated JS when
 * there is a source map: exact function positions, plain JavaScript) and the statement found
 * is then mapped like any other location: tsc and esbuild map every statement's start, while
 * a function's mapped start column can land off its parameter list. Without the generated
 * file, the original is searched. Null when nothing qualifies or the line cannot be mapped.
 */
export function retainerOf(site: TrackedSite, map: SiteLocationMapper | undefined, read: SourceReader = readSourceFromDisk): SiteRetainer | null {
  if (found.has(site)) return found.get(site) ?? null;
  let answer: SiteRetainer | null = null;
  try {
    answer = search(site, map, read);
  } catch {
    answer = null;
  }
  found.set(site, answer);
  return answer;
}

function search(site: TrackedSite, map: SiteLocationMapper | undefined, read: SourceReader): SiteRetainer | null {
  const gen = site.generated;
  const orig = site.location;
  if (!gen || !orig) return null;
  const mapped = !sameLocation(gen, orig);
  const text = read(gen.file);
  if (text !== undefined) {
    const r = findRetainingLine(text, gen.line, gen.column);
    if (!r) return null;
    const to = (line: number, column: number): SourceLocation | null => {
      const g = { file: gen.file, line, column };
      if (!mapped || !map) return g;
      const m = map(g);
      // a statement the map does not cover would mix generated and original lines
      return sameLocation(m, g) ? null : m;
    };
    return retainer(r, to);
  }
  if (!mapped) return null;
  const original = read(orig.file);
  if (original === undefined) return null;
  const r = findRetainingLine(original, orig.line, orig.column);
  return r ? retainer(r, (line, column) => ({ file: orig.file, line, column })) : null;
}

function retainer(r: RetainingLine, to: (line: number, column: number) => SourceLocation | null): SiteRetainer | null {
  const location = to(r.line, r.column);
  if (!location) return null;
  const out: SiteRetainer = { location, statement: r.statement, functionName: r.functionName };
  if (r.via) {
    const at = to(r.via.line, r.via.column);
    if (at) out.via = { location: at, statement: r.via.statement, functionName: r.via.functionName };
  }
  return out;
}
