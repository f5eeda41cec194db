import * as fs from 'node:fs';
import { inspectorFlags, isLoopbackHost } from './inspector-flags';
import { isEditorHelper, isNodeEntry, listPids, readEntry, readNodeOptions } from './proc';
import { fetchTargets, type InspectorTarget } from './cdp';
import { listenersOf, type Listener } from './sockets';

/** A running Node.js process a user may attach to. */
export interface NodeProcessInfo {
  pid: number;
  /** the command line, arguments joined with spaces (quoted when they hold one) */
  commandLine: string;
  argv: string[];
  /** the Node binary */
  exe?: string;
  cwd?: string;
  inspector: {
    /** the process's inspector is listening now (its own socket on that port answers /json/list) */
    open: boolean;
    /** where it listens, or where SIGUSR1 would open it (port 0: a free port) */
    host: string;
    port: number;
    /** started with --inspect / --inspect-brk / --inspect-wait */
    enabledAtStart: boolean;
    /** started with --disable-sigusr1: attach works only when the inspector is already open */
    sigusr1Disabled: boolean;
  };
}

/**
 * Running Node processes from /proc (Linux), without our own process, zombies and VS Code's
 * own helpers (extension host, code-server, tsserver, language servers).
 */
export async function listNodeProcesses(): Promise<NodeProcessInfo[]> {
  if (!fs.existsSync('/proc/self/cmdline')) {
    throw new Error('Listing Node.js processes needs /proc (Linux); it is not available here.');
  }
  const out: NodeProcessInfo[] = [];
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    const entry = readEntry(pid);
    if (!entry || entry.argv.length === 0 || entry.state === 'Z' || entry.state === 'X') continue;
    if (!isNodeEntry(entry) || isEditorHelper(entry.argv)) continue;
    const flags = inspectorFlags(entry.argv, readNodeOptions(pid));
    const open = (await inspectorListener(pid, flags.port))?.listener;
    out.push({
      pid,
      commandLine: commandLine(entry.argv),
      argv: entry.argv,
      exe: entry.exe,
      cwd: readCwd(pid),
      inspector: {
        open: open !== undefined,
        host: open?.address ?? flags.host,
        port: open?.port ?? flags.port,
        enabledAtStart: flags.enabledAtStart,
        sigusr1Disabled: flags.sigusr1Disabled,
      },
    });
  }
  return out;
}

/**
 * The loopback socket of `pid` that serves its inspector: the one on `port`, or, for port 0,
 * whichever of its listeners answers /json/list. Undefined when none (or not ours to read).
 */
export async function inspectorListener(
  pid: number,
  port: number,
): Promise<{ listener: Listener; targets: InspectorTarget[] } | undefined> {
  let own: Listener[];
  try {
    own = listenersOf(pid);
  } catch {
    return undefined;
  }
  const candidates = own.filter((l) => (port === 0 || l.port === port) && isLoopbackHost(l.address));
  for (const l of candidates) {
    try {
      return { listener: l, targets: await fetchTargets(l.address, l.port, 1000) };
    } catch {
      // an app server on that port, not an inspector
    }
  }
  return undefined;
}

function readCwd(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

export function commandLine(argv: string[]): string {
  return argv.map((a) => (a === '' || /\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
}

/** A command line short enough for a one-sentence message. */
export function shortCommand(argv: string[], max = 80): string {
  const line = commandLine(argv);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
