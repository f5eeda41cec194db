import { spawn, type ChildProcess } from 'node:child_process';
import { StartError } from './usage-error';

export interface AppProcessOptions {
  command: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** ms between SIGINT → SIGTERM → SIGKILL */
  graceMs?: number;
}

/**
 * The profiled command, in a process group of its own so that a stop reaches everything it
 * started (npm → node, cluster workers) and so that the CLI dying does not take the app with it.
 */
export class AppProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitedFlag = false;
  private stopping: Promise<void> | null = null;

  private constructor(child: ChildProcess, exited: AppProcess['exited']) {
    this.child = child;
    this.exited = exited;
    exited.then(() => (this.exitedFlag = true));
  }

  static async start(opts: AppProcessOptions): Promise<AppProcess> {
    const [file, ...args] = opts.command;
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: process.platform !== 'win32',
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          new StartError(
            err.code === 'ENOENT'
              ? `The command "${file}" was not found.`
              : `The command "${file}" could not be started: ${err.message}.`,
          ),
        );
      });
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const app = new AppProcess(child, exited);
    app.graceMs = opts.graceMs ?? 5000;
    return app;
  }

  private graceMs = 5000;

  get hasExited(): boolean {
    return this.exitedFlag;
  }

  /** Sends a signal to the whole group; quietly nothing when it is gone. */
  signal(sig: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (!pid) return;
    try {
      process.kill(process.platform === 'win32' ? pid : -pid, sig);
    } catch {
      try {
        this.child.kill(sig);
      } catch {
        /* already gone */
      }
    }
  }

  /** True while any process of the group is alive (the top one may exit before its children). */
  groupAlive(): boolean {
    const pid = this.child.pid;
    if (!pid || process.platform === 'win32') return !this.exitedFlag;
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * SIGINT, then SIGTERM after the grace period, then SIGKILL after another. `first`: SIGTERM
   * when the CLI itself got one (a container's stop), which the app's own shutdown handler
   * (often SIGTERM only) must see first; then SIGKILL.
   */
  stop(first: 'SIGINT' | 'SIGTERM' = 'SIGINT'): Promise<void> {
    if (this.stopping) return this.stopping;
    const sequence = first === 'SIGTERM' ? (['SIGTERM', 'SIGKILL'] as const) : (['SIGINT', 'SIGTERM', 'SIGKILL'] as const);
    this.stopping = (async () => {
      for (const sig of sequence) {
        if (!this.groupAlive()) return;
        this.signal(sig);
        if (await this.waitGroupGone(this.graceMs)) return;
      }
    })();
    return this.stopping;
  }

  /** Waits until the whole group is gone or `ms` passed; true when gone. */
  async waitGroupGone(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (this.exitedFlag && !this.groupAlive()) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.exitedFlag && !this.groupAlive();
  }
}
