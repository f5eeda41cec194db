import * as path from 'node:path';
import { readSourceFromDisk, type SourceReader } from '../util/source-text';
import { libraryHolderOf, type LibraryHolder } from './library-holder';
import { findingId, type Finding, type RelatedInformation } from '../findings/finding';
import type { Session } from '../session/session';
import { formatBytes, MB, round3 } from '../util/units';
import { steadyGrowth } from './growth-test';
import { postGcPoints } from './heap-trend';
import type { LeakOptions } from './leak-options';
import type { HeapSiteHistory, SiteSample, TrackedSite } from '../session/site-history';
import { retainerOf, type SiteRetainer } from './site-retainer';
import { theilSenSlope, type Point, type Trend } from '../stats/trend-stats';

const MINUTE = 60_000;

/** The session's per-site history; sessions built before `heapSites` existed have none. */
export function heapSiteHistoryOf(session: Session): HeapSiteHistory | null {
  return (session as unknown as { heapSites?: HeapSiteHistory }).heapSites ?? null;
}

interface Judged {
  site: TrackedSite;
  trend: Trend;
  /** the growth reported (bytes per ms or per round); see growthOverWindow */
  rate: number;
  perRound: boolean;
  liveBytes: number;
  windowMs: number;
}

/** Rounds when the CLI closed at least three load rounds after the first with a profile. */
function roundSamples(history: HeapSiteHistory): Set<SiteSample> {
  const last = new Map<number, SiteSample>();
  for (const s of history.samples) if (s.round !== undefined && s.round >= 1) last.set(s.round, s);
  return new Set(last.values());
}

function judge(history: HeapSiteHistory, site: TrackedSite, session: Session, o: LeakOptions, rounds: Set<SiteSample>): Judged | null {
  const interval = history.samples[history.samples.length - 1]?.intervalBytes ?? 0;
  if (rounds.size >= 3) {
    const series = history.series(site, (s) => rounds.has(s));
    const points: Point[] = series.map((p) => ({ x: p.round!, y: p.bytes }));
    const trend = steadyGrowth(points, {
      minSlope: o.leakMinBytesPerRound,
      minGrowth: Math.max(2 * interval, o.leakMinBytesPerRound),
      confidence: o.leakRoundConfidence,
      recentShare: o.leakRecentShare,
    });
    if (!trend) return null;
    if (!beyondSamplingNoise(series, o.leakRoundNoiseZ)) return null;
    // A site's live bytes are a sampled estimate (Poisson noise of about sqrt(bytes × interval)):
    // a few rounds of a full bounded cache can look like growth. The post-GC heap measured
    // exactly between the same rounds must grow too, by at least half the site's rate.
    const heap = session.heapMeasures.filter((m) => m.round >= 1).map((m) => ({ x: m.round, y: m.heapUsed }));
    if (heap.length >= 3 && theilSenSlope(heap) < trend.slope / 2) return null;
    return { site, trend, rate: trend.slope, perRound: true, liveBytes: series[series.length - 1].bytes, windowMs: series[series.length - 1].t - series[0].t };
  }
  const from = session.startedAt + o.leakWarmupMs;
  const series = history.series(site, (s) => s.t >= from);
  if (series.length < o.leakMinSamples) return null;
  const span = series[series.length - 1].t - series[0].t;
  if (span < o.leakMinWindowMs) return null;
  const perMs = o.leakMinBytesPerMinute / MINUTE;
  // The later half need only still rise: whether the site levelled off is `flattened`'s test,
  // made on its sample count. A share of the slope, as over rounds, misreads a slow leak: 3–4
  // reads of 1–3 samples each in that half put its Theil–Sen slope under 0.3 of the whole about
  // once in a hundred judgments of a steady 2 MB/min leak at 100 s.
  const trend = steadyGrowth(
    series.map((p) => ({ x: p.t, y: p.bytes })),
    {
      minSlope: perMs,
      minGrowth: Math.max(3 * interval, perMs * Math.min(span, MINUTE)),
      confidence: o.leakConfidence,
      recentShare: 0,
    },
  );
  if (!trend) return null;
  // A bounded cache filling up grows like a leak; two more witnesses. The post-GC heap, exact
  // where the site's bytes are a sampled estimate, must grow over the same window at half the
  // site's rate at least; and the site must still gain samples at the end of the window (a
  // cache that filled and stopped has flattened there).
  const heap = postGcPoints(session).filter((p) => p.x >= series[0].t && p.x <= series[series.length - 1].t);
  if (heap.length < 3 || !(theilSenSlope(heap) >= trend.slope / 2)) return null;
  if (flattened(series, span)) return null;
  return { site, trend, rate: growthOverWindow(series, span, trend.slope), perRound: false, liveBytes: series[series.length - 1].bytes, windowMs: span };
}

/**
 * Did the site gain more samples from its first round to its last than sampling noise
 * explains? A site's live samples at a profile read are a Poisson count: a bounded cache whose
 * objects are replaced between rounds gives two independent counts of one mean λ, whose
 * difference has variance 2λ, estimated by their sum. A leak keeps its earlier samples and
 * adds new ones, so its rise stands out as the rounds' samples grow.
 */
function beyondSamplingNoise(series: Array<{ count: number }>, z: number): boolean {
  const first = series[0].count;
  const last = series[series.length - 1].count;
  if (first + last === 0) return false;
  return (last - first) / Math.sqrt(first + last) >= z;
}

/**
 * The rate a developer reads. A site's live bytes over time are a sampled step series (one
 * sample per interval's worth of surviving bytes, often ~1 per profile read); Theil–Sen, right
 * for *testing* the trend, reads such steps coarsely (0.4–1.5× of a 1 MB/min leak measured).
 * New live bytes over the window, the Poisson estimate of the rate, spreads as 1/√samples.
 */
function growthOverWindow(series: Array<{ bytes: number }>, span: number, fallback: number): number {
  const grown = series[series.length - 1].bytes - series[0].bytes;
  return grown > 0 && span > 0 ? grown / span : fallback;
}

/** P(X ≤ k) for X ~ Poisson(mean). */
function poissonCdf(k: number, mean: number): number {
  let term = Math.exp(-mean);
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term *= mean / i;
    sum += term;
  }
  return Math.min(1, sum);
}

/**
 * Has the site stopped gaining live samples lately? Sampled objects that stay alive keep their
 * sample, so a leak's sample count rises as a Poisson process at the window's rate. The latest
 * quarter of the window (widened to where 8 new samples are due, at most the later half)
 * holding far fewer new samples than that rate predicts (p < 1 %) means it levelled off.
 */
function flattened(series: Array<{ t: number; count: number }>, span: number): boolean {
  const perMs = theilSenSlope(series.map((p) => ({ x: p.t, y: p.count })));
  if (!(perMs > 0)) return true;
  const end = series[series.length - 1].t;
  const from = Math.max(series[0].t + span / 2, Math.min(end - span / 4, end - 8 / perMs));
  let start = series[0];
  for (const p of series) if (p.t <= from) start = p;
  const expected = perMs * (end - start.t);
  const gained = Math.max(0, series[series.length - 1].count - start.count);
  return poissonCdf(gained, expected) < 0.01;
}

/** A builtin or internal frame named like a class (`Timeout`, `Promise`) is the constructor. */
function constructorOf(allocatedBy: string | null): string | undefined {
  const name = allocatedBy?.split(' ')[0];
  return name && /^[A-Z][A-Za-z0-9_$]*$/.test(name) ? name : undefined;
}

/** The app's files a library structure may be created in: the main script, the site's file, its callers'. */
function appFilesOf(session: Session, site: TrackedSite): string[] {
  const files: string[] = [];
  const argv = session.hello?.argv ?? [];
  const script = argv.slice(1).find((a) => !a.startsWith('-'));
  if (script) files.push(path.isAbsolute(script) ? script : path.resolve(session.hello?.cwd ?? '/', script));
  if (site.location) files.push(site.location.file);
  for (const c of site.callers) if (c.location) files.push(c.location.file);
  return files;
}

/** A leak kept by a library's structure: named by that holder, placed where the app creates it. */
/** `+1.5 MB per load round` or `2 MB/min`, as the messages say a site's growth. */
function rateText(j: Judged): string {
  const rate = rateOf(j);
  return j.perRound ? `${formatBytes(rate)} per load round` : `${formatBytes(rate)}/min`;
}

/** The numbers every leak finding carries about its site's growth. */
function growthData(j: Judged): Record<string, unknown> {
  const rate = rateOf(j);
  const { site } = j;
  return {
    ...(j.perRound ? { bytesPerRound: Math.round(rate) } : { bytesPerMinute: Math.round(rate) }),
    liveBytes: Math.round(j.liveBytes),
    samples: j.trend.n,
    confidence: round3(j.trend.confidence),
    windowMs: Math.round(j.windowMs),
    function: site.name || '(anonymous)',
    ...(site.location ? { functionLine: site.location.line } : {}),
  };
}

function toHolderFinding(j: Judged, session: Session, holder: LibraryHolder, retainer: SiteRetainer | null): Finding {
  const { site } = j;
  const rate = rateOf(j);
  const who = describeFunction(site.name, retainer?.functionName);
  const libWhere = `${holder.location.file.slice(holder.location.file.lastIndexOf('node_modules'))}:${holder.location.line}`;
  const madeIn = site.location ? `${who} (${path.basename(site.location.file)}:${site.location.line})` : who;
  const related: RelatedInformation[] = [
    { message: `${holder.statement} in ${holder.packageName} stores it (${holder.name})`, location: holder.location },
  ];
  if (site.location) related.push({ message: `fed by ${who} at line ${site.location.line}`, location: site.location });
  if (retainer) related.push({ message: `${retainer.statement} hands it to ${holder.packageName}`, location: retainer.location });
  const created = holder.createdAt
    ? ` The ${holder.name} is created by ${holder.createdAt.text} on this line: give it a store that evicts (or a bound), or stop keeping what ${who} puts in it.`
    : ` Give ${holder.packageName} a store that evicts (or a bound), or stop keeping what ${who} puts in it.`;
  const location = holder.createdAt?.location ?? retainer?.location ?? site.location;
  return {
    id: findingId('leak', location, `${holder.name}\0${site.name}`),
    kind: 'leak',
    severity: rate >= MB ? 'error' : 'warning',
    message:
      `Memory held by ${holder.packageName}'s ${holder.name} keeps growing: +${rateText(j)}, ${formatBytes(j.liveBytes)} still live. ` +
      `${holder.statement} (${libWhere}) stores what ${madeIn} makes and never lets it go.${created}`,
    pid: session.pid,
    location,
    related,
    data: {
      ...growthData(j),
      retainedBy: holder.statement,
      holder: holder.name,
      holderPackage: holder.packageName,
      holderLocation: holder.location,
      ...(holder.createdAt ? { createdAt: holder.createdAt.location } : {}),
    },
  };
}

function toFinding(j: Judged, session: Session, retainer: SiteRetainer | null): Finding {
  const { site } = j;
  const fn = site.name || '(anonymous)';
  const who = describeFunction(site.name, retainer?.functionName);
  const rate = rateOf(j);
  const through = site.allocatedBy ? `, allocated through ${site.allocatedBy.split(' ')[0]}` : '';
  const related: RelatedInformation[] = [];
  let where: string;
  if (retainer && site.location) {
    related.push({ message: `allocated in ${site.name ? 'function ' : ''}${who} at line ${site.location.line}`, location: site.location });
    if (retainer.via) {
      related.push({ message: `stored by ${retainer.via.statement} in ${retainer.via.functionName}() at line ${retainer.via.location.line}`, location: retainer.via.location });
    }
    const how = retainer.via ? ` (${retainer.via.functionName}() stores it with ${retainer.via.statement})` : '';
    where = `${retainer.statement} on this line keeps it${how}; the memory is allocated in ${who} at line ${site.location.line}.`;
  } else {
    where = `Something keeps what this function allocates (the line is the function's start: no statement in it stores into a long-lived place).`;
  }
  related.push(...site.callers.map((c) => ({ message: `called from ${c.name || '(anonymous)'}`, location: c.location })));
  if (site.allocatedBy) related.push({ message: `allocated inside ${site.allocatedBy}`, location: null });
  const constructor = constructorOf(site.allocatedBy);
  const location = retainer?.location ?? site.location;
  return {
    id: findingId('leak', location, fn),
    kind: 'leak',
    severity: rate >= MB ? 'error' : 'warning',
    message: `Memory allocated in ${who} keeps growing: +${rateText(j)}, ${formatBytes(j.liveBytes)} still live${through}. ${where}`,
    pid: session.pid,
    location,
    related,
    data: {
      ...growthData(j),
      ...(retainer ? { retainedBy: retainer.statement } : {}),
      ...(constructor ? { constructor } : {}),
    },
  };
}

/** `handle()`, or for a callback without a name, `an anonymous function in createSession()`. */
function describeFunction(name: string, storedIn: string | undefined): string {
  if (name) return `${name}()`;
  return storedIn ? `an anonymous function in ${storedIn}()` : 'an anonymous function';
}

function rateOf(j: Judged): number {
  return j.perRound ? j.rate : j.rate * MINUTE;
}

/**
 * Tier 2: allocation sites whose live bytes grow steadily, as `leak` findings on the line that
 * keeps the memory (the function's own line when no statement qualifies). Sites kept by the
 * same line (a function and the callback it passes) make one finding, the fastest.
 */
export function detectSiteLeaks(session: Session, o: LeakOptions, read?: SourceReader): Finding[] {
  const history = heapSiteHistoryOf(session);
  if (!history || history.samples.length === 0) return [];
  const rounds = roundSamples(history);
  const judged: Judged[] = [];
  for (const site of history.sites.values()) {
    if (!site.location) continue;
    const j = judge(history, site, session, o, rounds);
    if (j) judged.push(j);
  }
  judged.sort((a, b) => b.rate - a.rate);
  const byLine = new Map<string, Finding>();
  const out: Finding[] = [];
  for (const j of judged) {
    const retainer = retainerOf(j.site, history.mapLocation, read);
    const holder = libraryHolderOf(j.site, () => appFilesOf(session, j.site), read ?? readSourceFromDisk);
    const f = holder ? toHolderFinding(j, session, holder, retainer) : toFinding(j, session, retainer);
    const key = `${f.location!.file}:${f.location!.line}`;
    const first = byLine.get(key);
    if (first) {
      first.related.push({ message: `also kept here: memory allocated in ${describeFunction(j.site.name, undefined)} at line ${j.site.location!.line}, +${rateText(j)}`, location: j.site.location });
      continue;
    }
    byLine.set(key, f);
    out.push(f);
  }
  return out.slice(0, o.leakMaxFindings);
}
