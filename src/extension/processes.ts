import { EventEmitter } from 'node:events';
import type { HelloMessage } from '../protocol';

/** What the extension shows about one connected Node.js process. */
export interface ConnectedProcess {
  pid: number;
  /** the script or command, shortest useful form (`app.js`, `npm start` …) */
  label: string;
  argv: string[];
  cwd: string;
  nodeVersion: string;
  via: 'launch' | 'attach';
  connectedAt: number;
}

/**
 * The processes connected to the session server, keyed by their connection: a process counts
 * once its `hello` arrived and stops counting when its socket closes. No `vscode` here, so the
 * same bookkeeping can back the status bar, the side view and the tests.
 */
export class ProcessRegistry<Conn extends object = object> {
  private readonly byConn = new Map<Conn, ConnectedProcess>();
  private readonly events = new EventEmitter();

  get processes(): ConnectedProcess[] {
    return [...this.byConn.values()].sort((a, b) => a.connectedAt - b.connectedAt);
  }

  get count(): number {
    return this.byConn.size;
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.events.on('change', listener);
    return { dispose: () => this.events.off('change', listener) };
  }

  hello(conn: Conn, msg: HelloMessage): void {
    this.byConn.set(conn, {
      pid: msg.pid,
      label: processLabel(msg.argv),
      argv: msg.argv,
      cwd: msg.cwd,
      nodeVersion: msg.nodeVersion,
      via: msg.via ?? 'launch',
      connectedAt: Date.now(),
    });
    this.events.emit('change');
  }

  disconnect(conn: Conn): void {
    if (this.byConn.delete(conn)) this.events.emit('change');
  }

  clear(): void {
    if (this.byConn.size === 0) return;
    this.byConn.clear();
    this.events.emit('change');
  }
}

/** `node /long/path/app.js --port 3000` → `app.js --port 3000`. */
export function processLabel(argv: string[]): string {
  const [, script, ...rest] = argv;
  if (!script) return 'node';
  const base = script.split(/[\\/]/).pop() || script;
  return [base, ...rest].join(' ').slice(0, 80);
}
