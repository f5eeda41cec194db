import * as vscode from 'vscode';
import type { CommandContext } from './context';
import type { Finding } from '../../core/findings/finding';
import { fixText, queryText } from '../findings/quick-fixes';

/** Quick fix *Show in Perf Lens*: selects the finding in the side panel. */
export async function revealFinding(ctx: CommandContext, key?: unknown): Promise<void> {
  if (typeof key !== 'string' || !(await ctx.findings.reveal(key))) {
    void vscode.window.showInformationMessage('Perf Lens: that finding is no longer reported.');
  }
}

/** The text `pick` takes from the finding `key` names, copied; undefined (and said) when there is none. */
async function copyFromFinding(ctx: CommandContext, key: unknown, pick: (f: Finding) => string | null, what: string): Promise<string | undefined> {
  const finding = typeof key === 'string' ? ctx.findings.finding(key) : undefined;
  const text = finding && pick(finding);
  if (!text) {
    void vscode.window.showInformationMessage(`Perf Lens: that finding has no ${what} to copy.`);
    return undefined;
  }
  await vscode.env.clipboard.writeText(text);
  return text;
}

/** Quick fix *Copy fix*: the finding's advice to the clipboard, shown so it can be read in full. */
export async function copyFix(ctx: CommandContext, key?: unknown): Promise<void> {
  const fix = await copyFromFinding(ctx, key, fixText, 'fix');
  if (fix) void vscode.window.showInformationMessage(`Perf Lens (copied): ${fix}`);
}

/** Quick fix *Copy query*: the SQL of a query finding to the clipboard. */
export async function copyQuery(ctx: CommandContext, key?: unknown): Promise<void> {
  if (await copyFromFinding(ctx, key, queryText, 'query')) void vscode.window.setStatusBarMessage('Perf Lens: query copied', 3000);
}
