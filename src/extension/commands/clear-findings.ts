import * as vscode from 'vscode';
import type { CommandContext } from './context';

/** Perf Lens: Clear Findings — forgets what was found so far; new activity finds again. */
export function clearFindings(ctx: CommandContext): void {
  ctx.session.clearFindings();
  void vscode.window.setStatusBarMessage('Perf Lens: findings cleared', 3000);
}
