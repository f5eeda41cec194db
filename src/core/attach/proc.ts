import * as fs from 'node:fs';
import * as path from 'node:path';

/** What /proc says about one process (Linux). Every read may fail: processes come and go. */
export interface ProcEntry {
  pid: number;
  argv: string[];
  /** resolved /proc/PID/exe, or undefined when it cannot be read (another user, a zombie) */
  exe?: string;
  /** one letter from /proc/PID/stat: R, S, D, Z, T … */
  state?: string;
}

/** The pids under /proc, ascending. */
export function listPids(procRoot = '/proc'): number[] {
  return fs
    .readdirSync(procRoot)
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

export function readArgv(pid: number): string[] | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const parts = raw.split('\0');
    // A process that rewrote its title (npm does) leaves empty strings behind.
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    return parts;
  } catch {
    return undefined;
  }
}

export function readExe(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

/** The state letter of /proc/PID/stat (after the parenthesised command name, which may hold spaces). */
export function readState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) || undefined;
  } catch {
    return undefined;
  }
}

export function readEntry(pid: number): ProcEntry | undefined {
  const argv = readArgv(pid);
  if (argv === undefined) return undefined;
  return { pid, argv, exe: readExe(pid), state: readState(pid) };
}

/** NODE_OPTIONS from the process's environment at its start (readable for our own user or root). */
export function readNodeOptions(pid: number): string | undefined {
  try {
    const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
    for (const kv of env.split('\0')) if (kv.startsWith('NODE_OPTIONS=')) return kv.slice('NODE_OPTIONS='.length);
  } catch {
    // not ours to read: the command line alone has to do
  }
  return undefined;
}

/** true / false from /proc/PID/status SigCgt and SigIgn: does the process catch SIGUSR1? */
export function catchesSigusr1(pid: number): boolean | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const cgt = /^SigCgt:\s*([0-9a-f]+)/m.exec(status);
    if (!cgt) return undefined;
    return (BigInt(`0x${cgt[1]}`) & (1n << 9n)) !== 0n; // SIGUSR1 is 10: bit 9
  } catch {
    return undefined;
  }
}

/** `node`, `nodejs`, `node22`: the names Node's binary goes by. */
export function isNodeBinary(file: string | undefined): boolean {
  if (!file) return false;
  return /^node(js)?(\d+(\.\d+)*)?$/.test(path.basename(file));
}

/** A Node process by its binary (exe), or by argv[0] when exe cannot be read. */
export function isNodeEntry(entry: ProcEntry): boolean {
  return entry.exe !== undefined ? isNodeBinary(entry.exe) : isNodeBinary(entry.argv[0]);
}

/**
 * VS Code's own Node processes, which a user never means to profile: the extension host,
 * code-server, the TypeScript server, language servers forked by extensions.
 */
const EDITOR_HELPERS = [
  /--type=(extensionHost|utility|fileWatcher|ptyHost)\b/,
  /(^|[\\/ ])code-server([\\/ ]|$)/,
  /[\\/]lib[\\/]vscode[\\/]/,
  /[\\/]\.vscode-server[\\/]/,
  /[\\/]tsserver(\.js)?( |$)/,
  /[\\/]typingsInstaller\.js/,
  /bootstrap-fork/,
  /server-main\.js/,
  /--clientProcessId=/,
];

export function isEditorHelper(argv: string[]): boolean {
  const line = argv.join(' ');
  return EDITOR_HELPERS.some((re) => re.test(line));
}
