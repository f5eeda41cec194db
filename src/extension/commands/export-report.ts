import * as vscode from 'vscode';
import * as path from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { CommandContext } from './context';
import type { ReportFormat } from '../report/report-content';

/**
 * Perf Lens: Export Report — JSON, SARIF, Markdown or HTML of everything profiled in this
 * window, with the findings as shown, the key figures and the budgets of `perfLens.budgets`. `format` and `file` skip the pickers (for scripts and tests).
 */
export async function exportReport(ctx: CommandContext, format?: unknown, file?: unknown): Promise<void> {
  const plain = await ctx.session.report();
  if (!plain) {
    void vscode.window.showInformationMessage('Perf Lens: nothing to export yet. Launch a file or open a profiling terminal first.');
    return;
  }
  const { REPORT_FORMATS, reportContent } = await import('../report/report-content');
  const { reportWithFigures } = await import('../report/report-figures');
  const { report, breaches } = reportWithFigures(plain, ctx.session, vscode.workspace.getConfiguration('perfLens').get('budgets'));
  let choice = REPORT_FORMATS.find((f) => f.format === format);
  if (!choice) {
    const picked = await vscode.window.showQuickPick(
      REPORT_FORMATS.map((f) => ({ label: f.label, detail: f.detail, format: f.format })),
      { title: 'Perf Lens: Export Report', placeHolder: 'Format of the report' },
    );
    if (!picked) return;
    choice = REPORT_FORMATS.find((f) => f.format === picked.format)!;
  }
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  let target = typeof file === 'string' ? file : undefined;
  if (!target) {
    const uri = await vscode.window.showSaveDialog({
      title: 'Perf Lens: Export Report',
      defaultUri: vscode.Uri.file(path.join(root, `perf-lens-report.${choice.extension}`)),
      filters: { [choice.filter]: [choice.extension] },
    });
    if (!uri) return;
    target = uri.fsPath;
  }
  await writeFile(target, reportContent(report, choice.format as ReportFormat, root, { breaches }));
  const open = await vscode.window.showInformationMessage(
    `Perf Lens: ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'} exported to ${path.basename(target)}.`,
    'Open',
  );
  if (open === 'Open') await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(target));
}
