import * as fs from 'node:fs';
import { AttachError, isGoneError, isPermissionError } from './errors';
import { inspectorFlags, isLoopbackHost, type InspectorFlags } from './inspector-flags';
import { catchesSigusr1, isNodeEntry, readArgv, readEntry, readNodeOptions, type ProcEntry } from './proc';
import { conflicts, listeners, listenersOf, ownersOf } from './sockets';
import { CdpClient, type InspectorTarget } from './cdp';
import { CLOSE_INSPECTOR_EXPRESSION, evaluate, injectAgent } from './inject';
import { inspectorListener, shortCommand } from './list-processes';

export interface AttachOptions {
  pid: number;
  /** absolute path of dist/agent.js */
  agentPath: string;
  /** the session server: ws://127.0.0.1:PORT/ */
  url: string;
  token: string;
  /** agent options (PERF_LENS_OPTIONS as an object) */
  options?: Record<string, unknown>;
  /** for the whole attach; 10 s when omitted */
  timeoutMs?: number;
}

export interface AttachResult {
  pid: number;
  /** 'attached': the agent started and connects to `url`; 'already-attached': it was running before */
  status: 'attached' | 'already-attached';
  nodeVersion: string;
  /** where the inspector listened */
  host: string;
  port: number;
  /** the inspector was open before we came (--inspect, or an earlier SIGUSR1): we leave it so */
  inspectorWasOpen: boolean;
  /** we opened it with SIGUSR1 and closed it again after injecting (verified: the port is free) */
  inspectorClosed: boolean;
  elapsedMs: number;
}

const POLL_MS = 200;

/**
 * Loads the agent into a running Node process so it reports like a launched one: SIGUSR1 (or
 * the inspector it already has) → /json/list → CDP Runtime.evaluate → require(agent).start().
 * Throws AttachError with a one-sentence message when it cannot.
 */
export async function attachAgent(opts: AttachOptions): Promise<AttachResult> {
  const began = Date.now();
  const deadline = began + (opts.timeoutMs ?? 10_000);
  const { pid } = opts;
  if (!Number.isInteger(pid) || pid <= 0) throw new AttachError('gone', `${String(pid)} is not a process id.`);
  if (pid === process.pid) throw new AttachError('own-process', `Process ${pid} is Perf Lens's own process.`);

  const entry = checkNodeProcess(pid);
  const flags = inspectorFlags(entry.argv, readNodeOptions(pid));
  const where = `${flags.host}:${flags.port}`;
  if (!isLoopbackHost(flags.host)) {
    throw new AttachError(
      'non-loopback',
      `Process ${pid} sets its inspector to ${where} (${flags.source}), which other machines could reach; Perf Lens only uses an inspector on 127.0.0.1, localhost or ::1.`,
    );
  }
  if (!flags.publishesHttp) {
    throw new AttachError('no-http', `Process ${pid} was started with --inspect-publish-uid without http, so its inspector cannot be found over HTTP.`);
  }

  let found = await findInspector(pid, flags.port);
  const inspectorWasOpen = found !== undefined;
  if (!found) {
    openInspector(entry, flags);
    found = await waitForInspector(pid, flags, deadline);
  }
  const inspector = found;

  const cdp = await CdpClient.connect(inspector.target.webSocketDebuggerUrl, Math.max(1000, deadline - Date.now())).catch((err: Error) => {
    throw new AttachError('timeout', `Could not connect to the inspector of process ${pid} on ${inspector.host}:${inspector.port}: ${err.message}.`);
  });
  // An inspector we opened is closed again whatever happens, so the app is left as we found it.
  let closeOurs = !inspectorWasOpen;
  try {
    const outcome = await injectAgent(cdp, { ...opts, expectedPid: pid }, deadline).catch((err: Error) => {
      throw new AttachError('inject-failed', `Loading the agent into process ${pid} failed: ${err.message}.`);
    });
    switch (outcome.state) {
      case 'wrong-pid':
        closeOurs = false; // not ours to touch
        throw new AttachError('wrong-process', `The inspector on ${inspector.host}:${inspector.port} belongs to process ${outcome.pid}, not ${pid}; nothing was loaded.`);
      case 'not-ready':
        throw new AttachError('timeout', `Process ${pid} did not finish starting within ${opts.timeoutMs ?? 10_000} ms, so the agent could not be loaded.`);
      case 'no-require':
        throw new AttachError('inject-failed', `Process ${pid} runs Node ${outcome.nodeVersion}, which offers no way to load the agent; Node 20.16 or newer is needed.`);
      case 'refused':
        throw new AttachError('inject-failed', `The agent loaded into process ${pid} but did not start (see the app's output).`);
    }
    const inspectorClosed = closeOurs && (await closeInspector(cdp, pid, inspector.port));
    closeOurs = false;
    return {
      pid,
      status: outcome.state === 'started' ? 'attached' : 'already-attached',
      nodeVersion: outcome.nodeVersion ?? '',
      host: inspector.host,
      port: inspector.port,
      inspectorWasOpen,
      inspectorClosed,
      elapsedMs: Date.now() - began,
    };
  } finally {
    if (closeOurs) await closeInspector(cdp, pid, inspector.port).catch(() => false);
    await cdp.close();
  }
}

/** Asks the target to close its inspector once we are gone; true when the port is free again. */
async function closeInspector(cdp: CdpClient, pid: number, port: number): Promise<boolean> {
  await evaluate(cdp, CLOSE_INSPECTOR_EXPRESSION, 2000).catch(() => undefined);
  await cdp.close();
  return waitUntilClosed(pid, port, 2000);
}

/** The process exists, is ours to inspect, and is Node; otherwise the sentence that says why not. */
function checkNodeProcess(pid: number): ProcEntry {
  const entry = readEntry(pid);
  if (!entry || entry.state === 'Z' || entry.state === 'X') {
    throw new AttachError('gone', `Process ${pid} is not running (it may have exited).`);
  }
  if (entry.argv.length === 0) throw new AttachError('not-node', `Process ${pid} is a kernel thread, not a Node.js process.`);
  if (entry.exe === undefined) {
    try {
      fs.readlinkSync(`/proc/${pid}/exe`);
    } catch (err) {
      if (isPermissionError(err)) {
        throw new AttachError('permission', `Perf Lens may not inspect process ${pid} (${shortCommand(entry.argv)}): it belongs to another user.`);
      }
      if (isGoneError(err)) throw new AttachError('gone', `Process ${pid} is not running (it may have exited).`);
    }
  }
  if (!isNodeEntry(entry)) {
    throw new AttachError('not-node', `Process ${pid} (${shortCommand(entry.argv)}) is not a Node.js process.`);
  }
  return entry;
}

interface FoundInspector {
  host: string;
  port: number;
  target: InspectorTarget;
}

async function findInspector(pid: number, port: number): Promise<FoundInspector | undefined> {
  const found = await inspectorListener(pid, port).catch(() => undefined);
  if (!found) return undefined;
  const { listener: l, targets } = found;
  const target = targets.find((t) => t.type === 'node') ?? targets[0];
  return target ? { host: l.address, port: l.port, target } : undefined;
}

/** Sends SIGUSR1 after checking it can only do what we want: open the inspector, nowhere else taken. */
function openInspector(entry: ProcEntry, flags: InspectorFlags): void {
  const { pid } = entry;
  if (flags.sigusr1Disabled) {
    throw new AttachError('sigusr1-disabled', `Process ${pid} was started with --disable-sigusr1 and has no inspector open; restart it without that flag, or with --inspect.`);
  }
  if (catchesSigusr1(pid) === false) {
    // Not caught means the default action: SIGUSR1 would end the process.
    throw new AttachError('sigusr1-disabled', `Process ${pid} does not handle SIGUSR1 (Node without an inspector, or still starting), so its inspector cannot be opened.`);
  }
  if (flags.port !== 0) assertPortFree(pid, flags);
  try {
    process.kill(pid, 'SIGUSR1');
  } catch (err) {
    if (isPermissionError(err)) throw new AttachError('permission', `Perf Lens may not signal process ${pid}: it belongs to another user.`);
    throw new AttachError('gone', `Process ${pid} is not running (it may have exited).`);
  }
}

/** Node cannot open its inspector on a port another process listens on: say who holds it. */
function assertPortFree(pid: number, flags: InspectorFlags): void {
  let busy;
  try {
    const own = new Set(listenersOf(pid).map((l) => l.inode));
    busy = listeners(pid).find((l) => !own.has(l.inode) && conflicts(l, flags.host, flags.port));
  } catch (err) {
    if (isPermissionError(err)) throw new AttachError('permission', `Perf Lens may not inspect process ${pid}: it belongs to another user.`);
    throw err;
  }
  if (!busy) return;
  throw portBusy(pid, flags, busy.inode);
}

function portBusy(pid: number, flags: InspectorFlags, inode: number): AttachError {
  const owner = ownersOf(inode)[0];
  const who = owner === undefined ? 'another process' : `process ${owner} (${shortCommand(readArgv(owner) ?? [])})`;
  return new AttachError(
    'port-busy',
    `Process ${pid} would open its inspector on ${flags.host}:${flags.port}, but ${who} already listens there; stop it or free that port, then attach again.`,
  );
}

/** Polls every 200 ms for the pid's own inspector socket; fails early if the process dies or the port is taken. */
async function waitForInspector(pid: number, flags: InspectorFlags, deadline: number): Promise<FoundInspector> {
  for (;;) {
    const found = await findInspector(pid, flags.port);
    if (found) return found;
    if (!fs.existsSync(`/proc/${pid}`) || readEntry(pid)?.state === 'Z') {
      throw new AttachError('gone', `Process ${pid} exited while its inspector was being opened.`);
    }
    if (Date.now() >= deadline) {
      if (flags.port !== 0) {
        const own = new Set(listenersOf(pid).map((l) => l.inode));
        const busy = listeners(pid).find((l) => !own.has(l.inode) && conflicts(l, flags.host, flags.port));
        if (busy) throw portBusy(pid, flags, busy.inode);
      }
      const at = flags.port === 0 ? `${flags.host} (a free port)` : `${flags.host}:${flags.port}`;
      throw new AttachError('timeout', `The inspector of process ${pid} did not open on ${at} in time.`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** true once the pid no longer listens on `port` (the inspector closed itself). */
async function waitUntilClosed(pid: number, port: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let open: boolean;
    try {
      open = listenersOf(pid).some((l) => l.port === port);
    } catch {
      return true; // process gone
    }
    if (!open) return true;
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
