import { spawn } from 'node:child_process';

export interface LoadRunOptions {
  command: string;
  port: number;
  round: number;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Runs the --load command through the shell; resolves with its exit code. */
export function runLoad(opts: LoadRunOptions): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(opts.command, {
      shell: true,
      cwd: opts.cwd,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...opts.env,
        PERF_LENS_PORT: String(opts.port),
        PERF_LENS_URL_BASE: `http://127.0.0.1:${opts.port}`,
        PERF_LENS_ROUND: String(opts.round),
      },
    });
    child.once('error', () => resolve(127));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
