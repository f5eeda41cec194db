import type { SessionServer, AgentConnection } from '../core/server/session-server';
import type { SessionStore } from '../core/session/session-store';
import type { DetectorOptions } from '../core/detectors/detector';
import type { SourceReader } from '../core/util/source-text';
import type { Finding } from '../core/findings/finding';
import type { Report } from '../core/report/types';
import type { FindingsChange, LiveAnalyzer } from '../core/analysis';
import type { AgentMessage } from '../protocol';
import { ProcessRegistry } from './processes';
import { sessionLimitsFrom } from './settings';
import type { AgentTarget } from './agent-env';

/**
 * The profiling session of a window.
 *
 * For the other parts of the extension (charts panel, attach, heap snapshots):
 * - `store` is ONE SessionStore for the whole window, created on first access and never
 *   replaced (Stop and a later start keep it: processes simply end). Subscribe to its
 *   'session' (new process), 'message' (session, msg) and 'end' (session) events; read
 *   `store.liveSessions` / `store.sessions` for what came before you subscribed.
 * - `server` is the SessionServer while profiling runs (null otherwise), for
 *   `server.sendCommand(pid, …)`.
 * - `findings` / `onDidChangeFindings` are the live findings (re-analysed at most every
 *   `perfLens.liveAnalysisIntervalMs` while messages arrive).
 */
export interface ProfilingSession {
  readonly registry: ProcessRegistry;
  readonly running: boolean;
  readonly store: SessionStore;
  readonly server: SessionServer | null;
  readonly findings: readonly Finding[];
  /** Starts the session server on first use; resolves with what a process needs to connect. */
  ensureStarted(): Promise<AgentTarget>;
  /** Closes the server: every agent is disconnected (the apps themselves run on). */
  stop(): Promise<void>;
  /** Fires when a process connects or leaves, and when the session starts or stops. */
  onDidChange(listener: () => void): { dispose(): void };
  /** Fires when a process's session starts or ends in the store. */
  onDidChangeSessions(listener: () => void): { dispose(): void };
  /** Fires when findings appear, change or go away. */
  onDidChangeFindings(listener: (change: FindingsChange) => void): { dispose(): void };
  /** Re-analyse soon: settings or a source file changed. */
  refreshFindings(): void;
  /** Forget the findings and what produced them; new activity brings findings back. */
  clearFindings(): void;
  /** Everything profiled so far with the findings as shown; null before anything was profiled. */
  report(): Promise<Report | null>;
}

/** What the service reads from the user's settings, each time it needs it. */
export interface ServiceSettings {
  detectorOptions(): DetectorOptions;
  keepFindingsAfterSessionEnds(): boolean;
  analysisIntervalMs(): number;
  /** PERF_LENS_OPTIONS for processes started from now on */
  agentOptions(): string | undefined;
  /** ring-buffer caps per process (requests, queries); read when the store is made */
  sessionLimits?(): { http: number; queries: number };
  /** source text as the editor has it (unsaved ignore comments) */
  readSource?: SourceReader;
}

export const DEFAULT_SERVICE_SETTINGS: ServiceSettings = {
  detectorOptions: () => ({}),
  keepFindingsAfterSessionEnds: () => true,
  analysisIntervalMs: () => 1000,
  agentOptions: () => undefined,
};

type Listener<T = void> = (value: T) => void;

class Emitter<T = void> {
  private readonly listeners = new Set<Listener<T>>();
  on(listener: Listener<T>): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
}

/**
 * One SessionServer for the whole window, started on demand, feeding one SessionStore and a
 * LiveAnalyzer. The server (and `ws`), the detectors and the analyzer are loaded only then,
 * which keeps activation cheap.
 */
export class ProfilingService implements ProfilingSession {
  readonly registry = new ProcessRegistry<AgentConnection>();
  private serverValue: SessionServer | null = null;
  private storeValue: SessionStore | null = null;
  private analyzer: LiveAnalyzer | null = null;
  private starting: Promise<AgentTarget> | null = null;
  private readonly changes = new Emitter();
  private readonly sessionChanges = new Emitter();
  private readonly findingChanges = new Emitter<FindingsChange>();

  constructor(
    private readonly agentPath: string,
    private readonly settings: ServiceSettings = DEFAULT_SERVICE_SETTINGS,
  ) {
    this.registry.onDidChange(() => this.changes.fire());
  }

  get store(): SessionStore {
    if (!this.storeValue) {
      // Loaded on first use only: the store is small, but activation loads no core code.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { createSessionStore } = require('../core/session/host') as typeof import('../core/session/host');
      // the editor's caps, from the settings or their defaults
      const store = createSessionStore({ limits: this.settings.sessionLimits?.() ?? sessionLimitsFrom(() => undefined) });
      store.on('session', () => this.sessionChanges.fire());
      store.on('end', () => this.sessionChanges.fire());
      this.storeValue = store;
    }
    return this.storeValue;
  }

  get server(): SessionServer | null {
    return this.serverValue;
  }

  get findings(): readonly Finding[] {
    return this.analyzer?.findings ?? [];
  }

  get running(): boolean {
    return this.serverValue !== null;
  }

  onDidChange(listener: () => void): { dispose(): void } {
    return this.changes.on(listener);
  }

  onDidChangeSessions(listener: () => void): { dispose(): void } {
    return this.sessionChanges.on(listener);
  }

  onDidChangeFindings(listener: (change: FindingsChange) => void): { dispose(): void } {
    return this.findingChanges.on(listener);
  }

  refreshFindings(): void {
    this.analyzer?.refresh();
  }

  clearFindings(): void {
    this.analyzer?.clear();
  }

  async report(): Promise<Report | null> {
    if (!this.storeValue || this.storeValue.sessions.length === 0) return null;
    return (await this.liveAnalyzer()).report();
  }

  async ensureStarted(): Promise<AgentTarget> {
    this.starting ??= this.start().catch((err: unknown) => {
      this.starting = null;
      throw err;
    });
    const target = await this.starting;
    // Read each time: a sampling setting changed since the server started applies to the
    // next process.
    const options = this.settings.agentOptions();
    return options ? { ...target, options } : target;
  }

  private async start(): Promise<AgentTarget> {
    const [{ SessionServer }, { connectSessionServer }] = await Promise.all([import('../core/server/session-server'), import('../core/session/host')]);
    const store = this.store;
    await this.liveAnalyzer();
    const server = new SessionServer();
    connectSessionServer(server, store, {
      onMessage: (msg, conn) => {
        if (msg.type === 'hello') this.registry.hello(conn, msg);
      },
      onDisconnect: (conn) => this.registry.disconnect(conn),
    });
    const url = await server.listen();
    if (!this.starting) {
      // Stop arrived while the server was starting: do not leave it running unseen.
      await server.close();
      throw new Error('Profiling was stopped before it started.');
    }
    this.serverValue = server;
    this.changes.fire();
    return { agentPath: this.agentPath, url, token: server.token };
  }

  /** The analyzer, created once (after the fingerprint parser loads) over the one store. */
  private analyzerReady: Promise<LiveAnalyzer> | null = null;
  private liveAnalyzer(): Promise<LiveAnalyzer> {
    this.analyzerReady ??= (async () => {
      const { initDetectors, LiveAnalyzer } = await import('../core/analysis');
      await initDetectors();
      const analyzer = new LiveAnalyzer(this.store, {
        intervalMs: () => this.settings.analysisIntervalMs(),
        detectorOptions: () => this.settings.detectorOptions(),
        keepFindingsAfterSessionEnds: () => this.settings.keepFindingsAfterSessionEnds(),
        readSource: this.settings.readSource,
      });
      analyzer.on('change', (change: FindingsChange) => this.findingChanges.fire(change));
      analyzer.on('error', (err: unknown) => console.error('perf-lens: analysis failed:', err));
      this.analyzer = analyzer;
      return analyzer;
    })();
    return this.analyzerReady;
  }

  async stop(): Promise<void> {
    const server = this.serverValue;
    this.serverValue = null;
    this.starting = null;
    this.registry.clear();
    if (server) await server.close();
    // Connections that never said goodbye end here, so their findings follow the setting.
    const store = this.storeValue;
    if (store) for (const s of store.liveSessions) store.disconnected(s.pid, s.lastT);
    this.changes.fire();
  }

  /** Stops and lets go of the analyzer's timers (deactivation). */
  async dispose(): Promise<void> {
    await this.stop();
    this.analyzer?.dispose();
  }
}
