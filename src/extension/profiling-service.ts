import type { SessionServer, AgentConnection } from '../core/server/session-server';
import type { AgentMessage } from '../protocol';
import { ProcessRegistry } from './processes';
import type { AgentTarget } from './agent-env';

/** What the commands and views need from a profiling session. */
export interface ProfilingSession {
  readonly registry: ProcessRegistry;
  readonly running: boolean;
  /** Starts the session server on first use; resolves with what a process needs to connect. */
  ensureStarted(): Promise<AgentTarget>;
  /** Closes the server: every agent is disconnected (the apps themselves run on). */
  stop(): Promise<void>;
  /** Fires when a process connects or leaves, and when the session starts or stops. */
  onDidChange(listener: () => void): { dispose(): void };
}

/**
 * One SessionServer for the whole window, started on demand. The server module (and `ws`) is
 * loaded only then, which keeps activation cheap.
 */
export class ProfilingService implements ProfilingSession {
  readonly registry = new ProcessRegistry<AgentConnection>();
  private server: SessionServer | null = null;
  private starting: Promise<AgentTarget> | null = null;

  private readonly listeners = new Set<() => void>();

  constructor(private readonly agentPath: string) {
    this.registry.onDidChange(() => this.changed());
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }

  get running(): boolean {
    return this.server !== null;
  }

  ensureStarted(): Promise<AgentTarget> {
    this.starting ??= this.start().catch((err: unknown) => {
      this.starting = null;
      throw err;
    });
    return this.starting;
  }

  private async start(): Promise<AgentTarget> {
    const { SessionServer } = await import('../core/server/session-server');
    const server = new SessionServer();
    server.on('message', (msg: AgentMessage, conn: AgentConnection) => {
      if (msg.type === 'hello') this.registry.hello(conn, msg);
    });
    server.on('disconnect', (conn: AgentConnection) => this.registry.disconnect(conn));
    const url = await server.listen();
    if (!this.starting) {
      // Stop arrived while the server was starting: do not leave it running unseen.
      await server.close();
      throw new Error('Profiling was stopped before it started.');
    }
    this.server = server;
    this.changed();
    return { agentPath: this.agentPath, url, token: server.token };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.starting = null;
    this.registry.clear();
    if (server) await server.close();
    this.changed();
  }
}
