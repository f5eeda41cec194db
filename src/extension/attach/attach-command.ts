import * as vscode from 'vscode';
import type { CommandContext } from '../commands/context';
import type { NodeProcessInfo } from '../../core/attach';

interface ProcessItem extends vscode.QuickPickItem {
  process: NodeProcessInfo;
}

/**
 * Perf Lens: Attach to Node Process — pick a running Node.js process (or pass its pid), and
 * load the agent into it so it reports to this window's session like a launched one.
 */
export async function attachToNodeProcess(ctx: CommandContext, pidArg?: unknown): Promise<void> {
  if (process.platform !== 'linux') {
    void vscode.window.showErrorMessage('Perf Lens: attaching to a running process works on Linux only for now; launch the app with Perf Lens instead.');
    return;
  }
  // Loaded on use, as the session server is: `ws` and /proc reading stay out of activation.
  const { listNodeProcesses, attachAgent } = await import('../../core/attach');

  let pid = typeof pidArg === 'number' ? pidArg : typeof pidArg === 'string' && /^\d+$/.test(pidArg) ? Number(pidArg) : undefined;
  let label = pid === undefined ? '' : `process ${pid}`;
  if (pid === undefined) {
    const processes = await listNodeProcesses();
    if (processes.length === 0) {
      void vscode.window.showInformationMessage('Perf Lens: no running Node.js process was found to attach to.');
      return;
    }
    const reporting = new Set(ctx.session.registry.processes.map((p) => p.pid));
    const picked = await vscode.window.showQuickPick(
      processes.map((p) => toItem(p, reporting.has(p.pid))),
      { title: 'Perf Lens: Attach to Node Process', placeHolder: 'Pick a running Node.js process to profile', matchOnDescription: true, matchOnDetail: true },
    );
    if (!picked) return;
    pid = picked.process.pid;
    label = `${picked.label} (pid ${pid})`;
  }

  try {
    const target = await ctx.session.ensureStarted();
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Perf Lens: attaching to ${label}…` },
      () => attachAgent({ pid, agentPath: target.agentPath, url: target.url, token: target.token }),
    );
    if (result.status === 'already-attached') {
      void vscode.window.showInformationMessage(`Perf Lens: ${label} already runs the Perf Lens agent; it reports to the session it was started with.`);
    } else {
      void vscode.window.showInformationMessage(`Perf Lens: attached to ${label}.`);
    }
  } catch (err) {
    void vscode.window.showErrorMessage(`Perf Lens could not attach: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function toItem(p: NodeProcessInfo, reporting: boolean): ProcessItem {
  const notes: string[] = [];
  if (reporting) notes.push('reporting to Perf Lens');
  if (p.inspector.open) notes.push(`inspector open on ${p.inspector.host}:${p.inspector.port}`);
  else if (p.inspector.sigusr1Disabled) notes.push('started with --disable-sigusr1: cannot attach');
  if (p.cwd) notes.push(p.cwd);
  return {
    label: p.commandLine.length > 120 ? `${p.commandLine.slice(0, 119)}…` : p.commandLine,
    description: String(p.pid),
    detail: notes.join(' · ') || undefined,
    process: p,
  };
}
