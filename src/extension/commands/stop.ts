import * as vscode from 'vscode';
import type { CommandContext } from './context';

/** Perf Lens: Stop Profiling — disconnects every process and closes the profiling terminals. */
export async function stopProfiling(ctx: CommandContext): Promise<void> {
  if (!ctx.session.running) {
    void vscode.window.showInformationMessage('Perf Lens is not profiling anything.');
    return;
  }
  ctx.terminals.closeAll();
  await ctx.session.stop();
  void vscode.window.setStatusBarMessage('Perf Lens: profiling stopped', 3000);
}
