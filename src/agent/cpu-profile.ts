import * as fs from 'node:fs';
import type * as Inspector from 'node:inspector';
import * as path from 'node:path';
import type { AgentContext } from './context';

/**
 * `startCpuProfile` {samplingIntervalUs?} and `stopCpuProfile` {path}: V8's sampling CPU
 * profiler through the in-process inspector. Stop writes the profile (the .cpuprofile JSON
 * that VS Code and Chrome DevTools open) to `<path>.partial` and renames it once whole.
 * One profile at a time per process; a profile nobody stops ends by itself after
 * MAX_PROFILE_MS, so a lost requester cannot leave the profiler sampling (and growing) forever.
 *
 * The inspector session is opened once and never disconnected: a session's disconnect clears
 * V8's heap object ids (measured on Node 20 and 22), which would make heap snapshots taken
 * before and after a CPU profile impossible to compare by id.
 */
export function installCpuProfile(ctx: AgentContext): void {
  const profiler = new CpuProfiler();
  ctx.onCommand?.('startCpuProfile', (args) => profiler.start(args.samplingIntervalUs));
  ctx.onCommand?.('stopCpuProfile', (args) => profiler.stop(args.path));
}

export interface CpuProfileStarted {
  samplingIntervalUs: number;
}

export interface CpuProfileResult {
  path: string;
  bytes: number;
}

/** V8's own default. */
const DEFAULT_INTERVAL_US = 1000;
const MAX_PROFILE_MS = 30 * 60_000;

type State = 'idle' | 'starting' | 'running' | 'stopping';

export class CpuProfiler {
  private state: State = 'idle';
  private session: Inspector.Session | null = null;
  private expiry: NodeJS.Timeout | null = null;
  private expired = false;

  start(interval: unknown): Promise<CpuProfileStarted> {
    const us = interval === undefined ? DEFAULT_INTERVAL_US : interval;
    if (typeof us !== 'number' || !Number.isInteger(us) || us < 10 || us > 1_000_000) {
      return Promise.reject(new Error('The startCpuProfile command takes samplingIntervalUs as a whole number from 10 to 1000000.'));
    }
    if (this.state !== 'idle') return Promise.reject(new Error('A CPU profile is already running in this process.'));
    let session: Inspector.Session;
    try {
      session = this.connected();
    } catch (err) {
      return Promise.reject(new Error(`The CPU profiler is not available: ${reasonOf(err)}.`));
    }
    this.state = 'starting';
    this.expired = false;
    return post(session, 'Profiler.enable')
      .then(() => post(session, 'Profiler.setSamplingInterval', { interval: us }))
      .then(() => post(session, 'Profiler.start'))
      .then(
        () => {
          this.state = 'running';
          this.expiry = setTimeout(() => this.expire(), MAX_PROFILE_MS);
          this.expiry.unref();
          return { samplingIntervalUs: us };
        },
        (err: unknown) => {
          this.release();
          throw new Error(`The CPU profile could not start: ${reasonOf(err)}.`);
        },
      );
  }

  stop(target: unknown): Promise<CpuProfileResult> {
    if (typeof target !== 'string' || target === '' || !path.isAbsolute(target)) {
      return Promise.reject(new Error('The stopCpuProfile command needs an absolute file path in args.path.'));
    }
    if (this.state === 'starting') return Promise.reject(new Error('The CPU profile is still starting; stop it again in a moment.'));
    if (this.state === 'stopping') return Promise.reject(new Error('The CPU profile is already being stopped.'));
    if (this.state !== 'running') {
      return Promise.reject(new Error(this.expired
        ? `The CPU profile ended by itself after ${MAX_PROFILE_MS / 60_000} minutes without a stop; start a new one.`
        : 'No CPU profile is running in this process; start one first.'));
    }
    this.state = 'stopping';
    return post<{ profile: unknown }>(this.connected(), 'Profiler.stop').then(
      (res) => {
        this.release();
        return writeProfile(path.normalize(target), res.profile);
      },
      (err: unknown) => {
        this.release();
        throw new Error(`The CPU profile could not be stopped: ${reasonOf(err)}.`);
      },
    );
  }

  /** The one session of this profiler, connected on first use. */
  private connected(): Inspector.Session {
    if (!this.session) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const inspector = require('node:inspector') as typeof Inspector;
      const session = new inspector.Session();
      session.connect();
      this.session = session;
    }
    return this.session;
  }

  private expire(): void {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    const done = () => {
      this.release();
      this.expired = true;
    };
    post(this.connected(), 'Profiler.stop').then(done, done);
  }

  /** Back to idle with the Profiler domain off (its samples freed); the session stays. */
  private release(): void {
    if (this.expiry) clearTimeout(this.expiry);
    this.expiry = null;
    this.state = 'idle';
    if (this.session) post(this.session, 'Profiler.disable').catch(() => {});
  }
}

/**
 * One inspector call. Settles on the next turn: a post() or disconnect() made inside a post
 * callback (which runs synchronously within post()) never completes on Node 20 and hangs the app.
 */
function post<T = unknown>(session: Inspector.Session, method: string, params?: object): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    session.post(method, params ?? {}, (err, res) => setImmediate(() => (err ? reject(err) : resolve(res as T))));
  });
}

/** Writes `<file>.partial` (exclusively: never through a planted link), then renames it. */
function writeProfile(file: string, profile: unknown): CpuProfileResult {
  const partial = `${file}.partial`;
  const buf = Buffer.from(JSON.stringify(profile), 'utf8');
  try {
    fs.rmSync(partial, { force: true }); // left by a process killed while it wrote
    const fd = fs.openSync(partial, 'wx');
    try {
      for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off, buf.length - off);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(partial, file);
  } catch (err) {
    try {
      fs.rmSync(partial, { force: true });
    } catch {
      /* the sentence below is what matters */
    }
    throw new Error(`Could not write the CPU profile to ${file}: ${reasonOf(err)}.`);
  }
  return { path: file, bytes: buf.length };
}

function reasonOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string') return `${e.code} (${e.message.replace(/\.$/, '')})`;
  return err instanceof Error ? err.message.replace(/\.$/, '') : String(err);
}
