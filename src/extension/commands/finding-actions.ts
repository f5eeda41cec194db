import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { fixText, queryText } from '../findings/quick-fixes';

/** Quick fix *Show in Perf Lens*: selects the finding in the side panel. */
export async function revealFinding(ctx: CommandContext, key?: unknown): Promise<void> {
  if (typeof key !== 'string' || !(await ctx.findings.reveal(key))) {
    void vscode.window.showInformationMessage('Perf Lens: that finding is no longer reported.');
  }
}

/** Quick fix *Copy fix*: the finding's advice to the clipboard, shown so it can be read in full. */
export async function copyFix(ctx: CommandContext, key?: unknown): Promise<void> {
  const finding = typeof key === 'string' ? ctx.findings.finding(key) : undefined;
  const fix = finding && fixText(finding);
  if (!fix) {
    void vscode.window.showInformationMessage('Perf Lens: that finding has no fix to copy.');
    return;
  }
  await vscode.env.clipboard.writeText(fix);
  void vscode.window.showInformationMessage(`Perf Lens (copied): ${fix}`);
}

/** Quick fix *Copy query*: the SQL of a query finding to the clipboard. */
export async function copyQuery(ctx: CommandContext, key?: unknown): Promise<void> {
  const finding = typeof key === 'string' ? ctx.findings.finding(key) : undefined;
  const sql = finding && queryText(finding);
  if (!sql) {
    void vscode.window.showInformationMessage('Perf Lens: that finding has no query to copy.');
    return;
  }
  await vscode.env.clipboard.writeText(sql);
  void vscode.window.setStatusBarMessage('Perf Lens: query copied', 3000);
}
