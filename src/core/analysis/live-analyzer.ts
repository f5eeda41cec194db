import { EventEmitter } from 'node:events';
import type { AgentMessage } from '../../protocol';
import { reportOf } from './analyze';
import { IgnoreComments } from '../findings/ignore-comments';
import type { SourceReader } from '../util/source-text';
import type { DetectorOptions, SessionDetector } from '../detectors/detector';
import { BUILTIN_DETECTORS } from './builtin';
import { runDetectors } from './run-detectors';
import { FINDING_KINDS, type Finding, type FindingKind } from '../findings/finding';
import type { Report } from '../report/types';
import type { Session } from '../session/session';
import type { SessionStore } from '../session/session-store';
import { diffFindings, sortFindings, type FindingsChange } from './findings-diff';

export interface LiveAnalyzerOptions {
  /** shortest time between two analyses while messages arrive (ms); read before each wait */
  intervalMs?: () => number;
  /** detector thresholds, read on every analysis so settings changes apply live */
  detectorOptions?: () => DetectorOptions;
  /** the detectors to run (default: the built-in ones) */
  detectors?: readonly SessionDetector[];
  /** false: a process's findings go when it ends (read on every analysis) */
  keepFindingsAfterSessionEnds?: () => boolean;
  /**
   * Reads source text for `perf-lens-ignore` comments not yet on disk (an editor's unsaved
   * buffer). The detectors already honour comments saved on disk.
   */
  readSource?: SourceReader;
}

const ALL_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>(FINDING_KINDS);

/** An analysis that took D ms waits at least this many times D before the next (≤ 20 % CPU). */
const BACKOFF_FACTOR = 4;

interface CachedFindings {
  key: string;
  findings: Finding[];
}

/**
 * Re-runs the detectors over a SessionStore while it is fed, at most once per interval, and
 * emits 'change' (FindingsChange) when the set of findings changed. Call `await
 * initDetectors()` first so PostgreSQL queries get their parsed fingerprints.
 *
 * Clearing forgets what was seen so far: from then on the analysis runs over a mirror store
 * that holds only the messages received after the clear (the main store, which the charts
 * read, keeps everything).
 */
export class LiveAnalyzer extends EventEmitter {
  private current: Finding[] = [];
  private mirror: SessionStore | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastRunAt = 0;
  private lastDurationMs = 0;
  private disposed = false;
  /** findings of ended sessions, which cannot change while the options stay the same */
  private endedCache = new WeakMap<Session, CachedFindings>();
  /** how many analyses ran (for the status of the throttle) */
  analyses = 0;

  private readonly onMessage = (_session: Session, msg: AgentMessage) => {
    this.mirror?.ingest(msg);
    this.schedule();
  };
  private readonly onEnd = (session: Session) => {
    this.mirror?.disconnected(session.pid, session.endedAt ?? session.lastT);
    this.schedule();
  };

  constructor(
    readonly store: SessionStore,
    private readonly options: LiveAnalyzerOptions = {},
  ) {
    super();
    store.on('message', this.onMessage);
    store.on('end', this.onEnd);
    if (store.sessions.length) this.schedule();
  }

  /** The findings as of the last analysis, most severe first. */
  get findings(): readonly Finding[] {
    return this.current;
  }

  /** The sessions the findings come from: everything, or only what arrived since the last clear. */
  get sessions(): readonly Session[] {
    return (this.mirror ?? this.store).sessions;
  }

  /** Analyse soon (settings or a source file changed), within the throttle. */
  refresh(): void {
    this.endedCache = new WeakMap();
    this.schedule();
  }

  /** Forgets every finding and everything seen so far; new messages bring findings back. */
  clear(): void {
    const mirror = this.store.emptyCopy();
    for (const s of this.store.liveSessions) if (s.hello) mirror.ingest(s.hello);
    this.mirror = mirror;
    this.endedCache = new WeakMap();
    this.publish([]);
  }

  /** Runs the detectors now and publishes the result; returns the findings. */
  analyzeNow(): readonly Finding[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const started = Date.now();
    const findings = this.detect();
    this.lastRunAt = Date.now();
    this.lastDurationMs = this.lastRunAt - started;
    this.analyses++;
    this.publish(findings);
    return this.current;
  }

  /**
   * The report of everything the store holds (every process, all its metrics) with the
   * findings as shown: after a clear, the ones found since.
   */
  report(): Report {
    // the detectors run once: the report carries the findings this analysis shows
    return reportOf(this.store.sessions, [...this.analyzeNow()]);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.store.off('message', this.onMessage);
    this.store.off('end', this.onEnd);
    this.removeAllListeners();
  }

  private schedule(): void {
    if (this.timer || this.disposed) return;
    const interval = Math.max(this.options.intervalMs?.() ?? 1000, BACKOFF_FACTOR * this.lastDurationMs);
    const wait = Math.max(0, this.lastRunAt + interval - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.disposed) return;
      try {
        this.analyzeNow();
      } catch (err) {
        // A detector bug must not stop the stream; the next message tries again.
        this.emit('error', err);
      }
    }, wait);
  }

  private detectorOptions(): DetectorOptions {
    return this.options.detectorOptions?.() ?? {};
  }

  private detect(): Finding[] {
    const options = this.detectorOptions();
    const keep = this.options.keepFindingsAfterSessionEnds?.() ?? true;
    const key = JSON.stringify(options);
    const out: Finding[] = [];
    for (const session of this.sessions) {
      if (session.ended && !keep) continue;
      if (session.ended) {
        const cached = this.endedCache.get(session);
        if (cached?.key === key) {
          out.push(...cached.findings);
          continue;
        }
      }
      const found = runDetectors([session], options, this.options.detectors ?? BUILTIN_DETECTORS);
      if (session.ended) this.endedCache.set(session, { key, findings: found });
      out.push(...found);
    }
    const read = this.options.readSource;
    if (!read || options.ignoreComments === false) return sortFindings(out);
    const ignore = new IgnoreComments(ALL_KINDS, read);
    return sortFindings(out.filter((f) => !ignore.isIgnored(f)));
  }

  private publish(findings: Finding[]): void {
    const change = diffFindings(this.current, findings);
    this.current = findings;
    if (change.added.length || change.removed.length || change.changed.length) this.emit('change', change);
  }
}

