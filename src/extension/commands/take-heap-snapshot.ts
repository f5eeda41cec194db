import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConnectedProcess } from '../processes';
import type { CommandContext } from './context';

/** Writing a snapshot blocks the app and takes about 1 s per 10 MB of heap (FIELD-NOTES). */
const SNAPSHOT_TIMEOUT_MS = 10 * 60_000;

/**
 * The connected process a command acts on: `pid` when given and connected, the only one, or
 * the user's pick among several (`among` narrows the list). Says why when there is none.
 */
export async function pickProcess(
  ctx: CommandContext,
  purpose: string,
  pid?: unknown,
  among: (p: ConnectedProcess) => boolean = () => true,
): Promise<ConnectedProcess | undefined> {
  const connected = ctx.session.server ? ctx.session.registry.processes : [];
  const candidates = connected.filter(among);
  if (typeof pid === 'number') {
    const given = candidates.find((p) => p.pid === pid);
    if (!given) void vscode.window.showErrorMessage(`Perf Lens: process ${pid} is not connected, so it cannot ${purpose}.`);
    return given;
  }
  if (candidates.length === 0) {
    void vscode.window.showErrorMessage(
      connected.length === 0
        ? `Perf Lens: no Node.js process is connected to ${purpose}. Launch a file with profiling, start it in a profiling terminal or attach to it first.`
        : `Perf Lens: none of the connected processes can ${purpose}.`,
    );
    return undefined;
  }
  if (candidates.length === 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    candidates.map((p) => ({ label: p.label, description: `pid ${p.pid}`, detail: p.argv.join(' '), process: p })),
    { title: `Perf Lens: which process to ${purpose}?`, placeHolder: 'Connected Node.js processes' },
  );
  return picked?.process;
}

/**
 * Where profiles and snapshots go: `.perf-lens/` in the process's workspace folder (with a
 * .gitignore, so a 100 MB snapshot is not committed by accident), else the OS temp dir.
 */
export function outputFolder(proc: ConnectedProcess): string {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(proc.cwd)) ?? vscode.workspace.workspaceFolders?.[0];
  if (!folder) return os.tmpdir();
  const dir = path.join(folder.uri.fsPath, '.perf-lens');
  fs.mkdirSync(dir, { recursive: true });
  const ignore = path.join(dir, '.gitignore');
  if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, '# Heap snapshots and CPU profiles written by Perf Lens\n*\n');
  return dir;
}

/** `<dir>/<pid>-<timestamp><ext>`, the timestamp safe in file names on every OS. */
export function outputFile(proc: ConnectedProcess, ext: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return path.join(outputFolder(proc), `${proc.pid}-${stamp}${ext}`);
}

/** `label (pid N)` for messages. */
export function describe(proc: ConnectedProcess): string {
  return `${proc.label} (pid ${proc.pid})`;
}

/** The agent's answer, or throws one sentence. */
export async function runAgentCommand(ctx: CommandContext, proc: ConnectedProcess, name: string, args: Record<string, unknown>, timeoutMs: number): Promise<unknown> {
  const server = ctx.session.server;
  if (!server) throw new Error('profiling has stopped.');
  const res = await server.sendCommand(proc.pid, name, args, timeoutMs);
  if (!res.ok) throw new Error(res.error ?? 'the process gave no reason.');
  return res.data;
}

export function sentenceOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/**
 * Perf Lens: Take Heap Snapshot — the picked process writes a .heapsnapshot (the app pauses
 * meanwhile), which then opens in VS Code's heap snapshot viewer. Resolves with its path.
 */
export async function takeHeapSnapshot(ctx: CommandContext, pid?: unknown): Promise<string | undefined> {
  const proc = await pickProcess(ctx, 'take a heap snapshot', pid);
  if (!proc) return undefined;
  let file: string;
  try {
    file = outputFile(proc, '.heapsnapshot');
  } catch (err) {
    void vscode.window.showErrorMessage(`Perf Lens: the snapshot folder cannot be created: ${sentenceOf(err)}`);
    return undefined;
  }
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Perf Lens: heap snapshot of ${describe(proc)}; the app pauses while it is written…` },
      () => runAgentCommand(ctx, proc, 'heapSnapshot', { path: file }, SNAPSHOT_TIMEOUT_MS),
    );
  } catch (err) {
    void vscode.window.showErrorMessage(`Perf Lens: the heap snapshot of ${describe(proc)} failed: ${sentenceOf(err)}`);
    return undefined;
  }
  await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
  return file;
}
