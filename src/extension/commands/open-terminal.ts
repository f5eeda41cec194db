import * as vscode from 'vscode';
import type { CommandContext } from './context';

/** Perf Lens: Open Profiling Terminal — every Node.js process started in it is profiled. */
export async function openProfilingTerminal(ctx: CommandContext): Promise<void> {
  const target = await ctx.session.ensureStarted();
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  ctx.terminals.create('Perf Lens', cwd, target).show();
}
