import * as vscode from 'vscode';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CompareError, compareReports } from '../../core/report/compare';
import { renderComparisonHtml } from '../../core/report/render/compare-html';
import type { ReportWithFigures } from '../../core/report/figures-types';
import type { CommandContext } from './context';

export const COMPARE_VIEW_TYPE = 'perfLens.compare';

async function pick(title: string, root: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title,
    canSelectMany: false,
    defaultUri: vscode.Uri.file(root),
    filters: { 'Perf Lens report': ['json'] },
  });
  return picked?.[0]?.fsPath;
}

async function readReport(file: string): Promise<ReportWithFigures> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new CompareError(`${path.basename(file)} cannot be read.`);
  }
  try {
    return JSON.parse(text) as ReportWithFigures;
  } catch {
    throw new CompareError(`${path.basename(file)} is not valid JSON.`);
  }
}

/**
 * Perf Lens: Compare with Baseline — pick a baseline report and a newer one (JSON from
 * `perf-lens run --json` or Export Report), see per route and overall what got better or
 * worse, and new and fixed findings, in a static webview (no script). `base` and `head`
 * (file paths) skip the pickers.
 */
export async function compareWithBaseline(_ctx: CommandContext, base?: unknown, head?: unknown): Promise<vscode.WebviewPanel | undefined> {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  const baseFile = typeof base === 'string' ? base : await pick('Perf Lens: the baseline report (before)', root);
  if (!baseFile) return undefined;
  const headFile = typeof head === 'string' ? head : await pick('Perf Lens: the report to compare (after)', path.dirname(baseFile));
  if (!headFile) return undefined;
  const names: [string, string] = [path.basename(baseFile), path.basename(headFile)];
  let html: string;
  let headline: { regressions: number; improvements: number };
  try {
    const comparison = compareReports(await readReport(baseFile), await readReport(headFile), {}, names);
    headline = comparison;
    html = renderComparisonHtml(comparison, { root, names, nonce: randomBytes(18).toString('base64') });
  } catch (err) {
    if (err instanceof CompareError) {
      void vscode.window.showErrorMessage(`Perf Lens: ${err.message}`);
      return undefined;
    }
    throw err;
  }
  const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, `Perf Lens: ${names[0]} → ${names[1]}`, vscode.ViewColumn.Active, {
    enableScripts: false,
    localResourceRoots: [],
  });
  panel.webview.html = html;
  if (headline.regressions) void vscode.window.showWarningMessage(`Perf Lens: ${headline.regressions} regression${headline.regressions === 1 ? '' : 's'} against ${names[0]}.`);
  return panel;
}
