import * as path from 'node:path';
import { RecordingWriter, SessionServer, SessionStore, connectSessionServer, createSessionStore, type AgentMessage, type ListenMessage } from '../core';
import type { RunOptions } from './args';
import { AppProcess } from './app-process';
import { LiveStatus } from './live-status';
import { runLoad } from './load-runner';
import { finishReport } from './outputs';
import { StartError } from './usage-error';
import { startExport, type ExportHandle } from './export';
import { formatSnapshotDiffs, RoundSnapshots } from './round-snapshots';

/** NODE_OPTIONS with the agent preloaded; the path is quoted for spaces. */
export function nodeOptionsWithAgent(existing: string | undefined, agentPath: string): string {
  const quoted = /[\s"]/.test(agentPath) ? `"${agentPath.replace(/(["\\])/g, '\\$1')}"` : agentPath;
  return [existing?.trim(), `--require ${quoted}`].filter(Boolean).join(' ');
}

/**
 * Under --rounds, the heap is sampled every 32 KB instead of 128 KB: a round's verdict rests on
 * three or so profile reads, whose per-site estimates carry Poisson noise of √samples. At
 * 128 KB a full 400 KB cache is ~3 samples and, over three rounds, rose like a 200 KB/round
 * leak in about one run in ten; four times the samples halve the noise.
 */
const ROUNDS_SAMPLING_INTERVAL = 32 * 1024;

/** PERF_LENS_OPTIONS with the sampling heap profiler asked for from the start. */
function withHeapSampling(raw: string | undefined, rounds = 1): string {
  let options: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(raw || '{}');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) options = parsed;
  } catch {
    /* not JSON: replaced */
  }
  if (options.heapSampling === undefined || options.heapSampling === false) options.heapSampling = true;
  // The user's own settings object is theirs to keep.
  if (rounds >= 3 && options.heapSampling === true) options.heapSampling = { intervalBytes: ROUNDS_SAMPLING_INTERVAL };
  return JSON.stringify(options);
}

const log = (msg: string) => process.stderr.write(`perf-lens: ${msg}\n`);

/** `perf-lens run`: start the command under the agent, collect, stop, report. */
export async function run(opts: RunOptions, cwd: string): Promise<number> {
  const server = new SessionServer();
  const store = createSessionStore();
  const recording = opts.record ? new RecordingWriter(path.resolve(cwd, opts.record)) : null;
  connectSessionServer(server, store, { record: recording ? (msg) => recording.write(msg) : undefined });

  const url = await server.listen();
  const agentPath = path.join(__dirname, 'agent.js');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: nodeOptionsWithAgent(process.env.NODE_OPTIONS, agentPath),
    PERF_LENS_URL: url,
    PERF_LENS_TOKEN: server.token,
  };
  if (opts.heapSampling !== false) env.PERF_LENS_OPTIONS = withHeapSampling(process.env.PERF_LENS_OPTIONS, opts.load ? opts.rounds : 1);

  const status = new LiveStatus(store, process.stdout);
  let app: AppProcess;
  let exporter: ExportHandle | null = null;
  try {
    // serving before the app starts: a scrape or push never misses its first seconds
    exporter = await startExport(store, opts, cwd);
    app = await AppProcess.start({ command: opts.command, env, cwd });
  } catch (err) {
    await exporter?.stop();
    await server.close();
    await recording?.close();
    throw err;
  }
  status.start();

  let interrupted = 0;
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    interrupted++;
    if (interrupted === 1) {
      log(sig === 'SIGINT' ? 'stopping the app (Ctrl-C again to kill it).' : 'SIGTERM: stopping the app.');
      void app.stop(sig);
    } else {
      app.signal('SIGKILL');
    }
  };
  const onSigint = () => onSignal('SIGINT');
  const onSigterm = () => onSignal('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);

  const durationTimer = opts.durationS
    ? setTimeout(() => void app.stop(), opts.durationS * 1000)
    : null;

  let loadError: Error | null = null;
  const snapshots = opts.snapshots ? new RoundSnapshots(opts.snapshots) : null;
  if (opts.load) {
    try {
      await driveLoad(opts, app, store, server, cwd, snapshots);
    } catch (err) {
      loadError = err as Error;
    }
    await app.stop();
  }
  await app.exited;
  // Children of the command may outlive it for a moment; give them the stop sequence too.
  if (app.groupAlive()) await app.stop();
  await waitForSessions(store, 2000);
  if (durationTimer) clearTimeout(durationTimer);
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigterm);
  status.stop();
  for (const s of store.liveSessions) store.disconnected(s.pid, s.lastT);
  // the final push carries the last findings and totals, after every process said bye
  await exporter?.stop();
  await server.close();
  await recording?.close();

  if (store.sessions.length === 0) {
    throw new StartError('No Perf Lens agent connected: the command started no Node.js process, or something replaced NODE_OPTIONS.');
  }
  if (loadError) throw loadError;
  const snapshotDiffs = snapshots ? await snapshots.diff() : undefined;
  const { exitCode } = await finishReport(store.sessions, opts, cwd, snapshotDiffs && { snapshotDiffs });
  if (snapshots) {
    process.stdout.write(formatSnapshotDiffs(snapshotDiffs ?? [], cwd));
    for (const e of snapshots.errors) log(e.endsWith('.') ? e : `${e}.`);
  }
  return exitCode;
}

/** Waits for the app to listen, then runs the load command `rounds` times with heap measurements between. */
async function driveLoad(
  opts: RunOptions,
  app: AppProcess,
  store: SessionStore,
  server: SessionServer,
  cwd: string,
  snapshots: RoundSnapshots | null,
): Promise<void> {
  const listen = await waitForListen(store, app);
  if (!listen) throw new StartError('The app exited before it listened on a TCP port, so the --load command did not run.');
  await measureHeaps(server, store, 0);
  for (let round = 1; round <= opts.rounds; round++) {
    if (app.hasExited) break;
    const code = await runLoad({ command: opts.load!, port: listen.port, round, cwd, env: process.env });
    if (code !== 0) log(`the load command exited with code ${code} in round ${round}.`);
    if (opts.rounds > 1 || round === 1) await measureHeaps(server, store, round);
    const label = snapshots && RoundSnapshots.labelAfter(round, opts.rounds);
    if (label) await snapshots!.take(server, store, label);
  }
}

function waitForListen(store: SessionStore, app: AppProcess): Promise<ListenMessage | null> {
  for (const s of store.sessions) if (s.listens.length) return Promise.resolve(s.listens[0]);
  return new Promise((resolve) => {
    const onMessage = (_s: unknown, msg: AgentMessage) => {
      if (msg.type === 'listen' && msg.port > 0) {
        store.off('message', onMessage);
        resolve(msg);
      }
    };
    store.on('message', onMessage);
    app.exited.then(() => {
      store.off('message', onMessage);
      resolve(null);
    });
  });
}

/** Asks every live agent for a heap measurement after a forced GC; failures are not fatal. */
async function measureHeaps(server: SessionServer, store: SessionStore, round: number): Promise<void> {
  await Promise.all(
    store.liveSessions.map((s) =>
      server
        .sendCommand(s.pid, 'measureHeap', { round }, 30_000)
        // The allocation sites' live bytes at the round boundary: leaks per round (measureHeap just collected).
        .then(() => server.sendCommand(s.pid, 'heapSites', { round, gc: false }, 30_000))
        .catch(() => undefined),
    ),
  );
}

async function waitForSessions(store: SessionStore, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (store.liveSessions.length && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
}
