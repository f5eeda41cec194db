import cluster from 'node:cluster';
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import type { AgentMessage, HelloMessage } from '../protocol/messages';
import { PROTOCOL_VERSION } from '../protocol/messages';
import { now } from './clock';
import { Commands } from './commands';
import { installHeapSampling } from './heap-sampling';
import { installHeapMeasure } from './heap-measure';
import { installHeapSnapshot } from './heap-snapshot';
import { installCpuProfile } from './cpu-profile';
import type { AgentContext, AgentOptions } from './context';
import { installLifecycle } from './lifecycle';
import { cpuSampler } from './probes/cpu';
import { eventLoopSampler } from './probes/event-loop';
import { installGcProbe, type GcProbe } from './probes/gc';
import { installHttpProbe, type HttpProbe } from './probes/http';
import { installListenProbe } from './probes/listen';
import { memorySampler } from './probes/memory';
import { startSampler } from './probes/sampler';
import { installQueryProbes } from './queries';
import { Scopes } from './scope';
import { Transport } from './transport';

export interface AgentConfig {
  url: string;
  token: string;
  options: AgentOptions;
  via: 'launch' | 'attach';
}

export interface RunningAgent {
  readonly context: AgentContext;
  readonly transport: Transport;
}

function hello(pid: number, via: AgentConfig['via']): HelloMessage {
  return {
    type: 'hello',
    pid,
    t: now(),
    protocol: PROTOCOL_VERSION,
    nodeVersion: process.version,
    argv: process.argv.slice(0, 256),
    cwd: process.cwd(),
    ppid: process.ppid,
    execArgv: process.execArgv.slice(0, 256),
    startedAt: performance.timeOrigin,
    via,
    heapLimit: v8.getHeapStatistics().heap_size_limit,
    isClusterWorker: cluster.isWorker,
  };
}

/** Each probe on its own: one that fails to install leaves the others running. */
function attempt(install: () => void): void {
  try {
    install();
  } catch {
    /* a probe this Node cannot run is skipped */
  }
}

/** Wires transport, scopes, commands and probes. Called once per process. */
export function startAgent(config: AgentConfig): RunningAgent {
  const pid = process.pid;
  const { options } = config;
  let commands: Commands | null = null;
  const transport = new Transport({
    url: config.url,
    token: config.token,
    maxQueue: options.maxQueue,
    flushIntervalMs: options.flushIntervalMs,
    greeting: () => [hello(pid, config.via)],
    droppedMessage: (count) => ({ type: 'dropped', pid, t: now(), count }),
    onCommand: (frame) => commands?.handle(frame),
  });
  const emit = (message: AgentMessage) => transport.emit(message);
  const scopes = new Scopes(pid, now);
  const context: AgentContext = {
    pid,
    emit,
    now,
    currentScope: () => scopes.current(),
    activateScopes: () => scopes.activate(),
    options,
    onCommand: (name, handler) => commands?.register(name, handler),
  };
  commands = new Commands(context);

  const samplers: Array<() => void> = [];
  // Memory is also sampled at start and at the end, so even a short run has its first and last heap.
  const sampleMemory = options.probes.memory ? memorySampler(context) : () => {};
  if (options.probes.memory) samplers.push(sampleMemory);
  attempt(sampleMemory);
  if (options.probes.eventLoop) attempt(() => samplers.push(eventLoopSampler(context)));
  if (options.probes.cpu) attempt(() => samplers.push(cpuSampler(context)));
  attempt(() => startSampler(context, samplers));
  let gc: GcProbe | null = null;
  if (options.probes.gc) attempt(() => (gc = installGcProbe(context)));
  let http: HttpProbe | null = null;
  if (options.probes.http) attempt(() => (http = installHttpProbe(context, scopes, options.summaryIntervalMs)));
  attempt(() => installListenProbe(context));
  attempt(() => installHeapMeasure(context));
  attempt(() => installHeapSampling(context));
  attempt(() => installHeapSnapshot(context));
  attempt(() => installCpuProfile(context));
  let queries: { flush(): void } | null = null;
  if (options.probes.queries) attempt(() => (queries = installQueryProbes(context)));

  installLifecycle(transport, (exitCode) => {
    attempt(() => http?.flush());
    attempt(() => gc?.flush());
    attempt(() => queries?.flush());
    attempt(sampleMemory);
    transport.emit(exitCode === undefined ? { type: 'bye', pid, t: now() } : { type: 'bye', pid, t: now(), exitCode });
  });
  transport.start();
  return { context, transport };
}
