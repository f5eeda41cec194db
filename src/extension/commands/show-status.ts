import * as vscode from 'vscode';
import { plural } from '../findings/format';
import type { CommandContext } from './context';

/** Perf Lens: Show Status — the connected processes, from the status bar item or the palette. */
export async function showStatus(ctx: CommandContext): Promise<void> {
  if (!ctx.session.running) {
    const pick = await vscode.window.showInformationMessage(
      'Perf Lens is not profiling. Launch a file or open a profiling terminal to start.',
      'Launch Current File',
      'Open Profiling Terminal',
    );
    if (pick === 'Launch Current File') await vscode.commands.executeCommand('perfLens.launchCurrentFile');
    if (pick === 'Open Profiling Terminal') await vscode.commands.executeCommand('perfLens.openTerminal');
    return;
  }
  await vscode.commands.executeCommand('perfLens.processes.focus');
  const { processes } = ctx.session.registry;
  const list = processes.map((p) => `${p.label} (pid ${p.pid})`).join(', ');
  void vscode.window.showInformationMessage(`Perf Lens: ${plural(processes.length, 'process', 'processes')}${list ? `: ${list}` : ''} · ${plural(ctx.session.findings.length, 'finding')}`);
}
