import * as vscode from 'vscode';
import { launchPlan } from '../launch';
import type { CommandContext } from './context';

/** Perf Lens: Launch Current File with Profiling — runs the active file in a profiling terminal. */
export async function launchCurrentFile(ctx: CommandContext): Promise<void> {
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc || doc.uri.scheme !== 'file') {
    void vscode.window.showErrorMessage('Perf Lens: open a saved JavaScript or TypeScript file to launch it.');
    return;
  }
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath;
  const plan = launchPlan(doc.uri.fsPath, folder);
  if (typeof plan === 'string') {
    void vscode.window.showErrorMessage(plan);
    return;
  }
  if (doc.isDirty && !(await doc.save())) return;
  const target = await ctx.session.ensureStarted();
  const terminal = ctx.terminals.create(plan.title, plan.cwd, target);
  terminal.show(true);
  terminal.sendText(plan.commandLine);
}
