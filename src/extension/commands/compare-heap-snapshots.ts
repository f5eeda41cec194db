import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SnapshotFiles, SnapshotStep } from '../../core/heap/compare-files';
import type { CommandContext } from './context';
import { sentenceOf } from './take-heap-snapshot';

const LABELS: Array<keyof SnapshotFiles> = ['baseline', 'target', 'final'];
const SHOWN_GROUPS = 50;

const STEP_TEXT: Record<SnapshotStep, string> = {
  baseline: 'reading the baseline snapshot (1/3)…',
  target: 'reading the target snapshot (2/3)…',
  final: 'reading the final snapshot (3/3)…',
  diff: 'finding what leaked and what retains it…',
};

function defaultFolder(): vscode.Uri | undefined {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!root) return undefined;
  const dir = path.join(root, '.perf-lens');
  return vscode.Uri.file(fs.existsSync(dir) ? dir : root);
}

async function openSnapshots(title: string, many: boolean, at?: vscode.Uri): Promise<string[] | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title,
    canSelectMany: many,
    defaultUri: at,
    openLabel: 'Select',
    filters: { 'Heap snapshot': ['heapsnapshot'] },
  });
  return picked?.map((u) => u.fsPath);
}

/**
 * Three snapshots in order: three picked at once are ordered by modification time (they are
 * normally taken in that order); one picked first is the baseline, then the target and the
 * final are asked for in turn.
 */
async function pickSnapshots(): Promise<string[] | undefined> {
  const first = await openSnapshots('Perf Lens: three heap snapshots of one process (or the baseline alone)', true, defaultFolder());
  if (!first || first.length === 0) return undefined;
  if (first.length === 3) return [...first].sort((a, b) => mtime(a) - mtime(b));
  if (first.length !== 1) {
    void vscode.window.showErrorMessage(`Perf Lens: pick three heap snapshots (baseline, target, final) or one at a time; ${first.length} were picked.`);
    return undefined;
  }
  const near = vscode.Uri.file(path.dirname(first[0]));
  const target = await openSnapshots('Perf Lens: the target heap snapshot (taken after the baseline)', false, near);
  if (!target?.[0]) return undefined;
  const final = await openSnapshots('Perf Lens: the final heap snapshot (taken last)', false, near);
  if (!final?.[0]) return undefined;
  return [first[0], target[0], final[0]];
}

function mtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0; // a missing file fails with its own sentence when it is read
  }
}

/** The Markdown document: which files, then the groups as the CLI prints them. */
export function leakReport(files: SnapshotFiles, table: string): string {
  const rows = LABELS.map((k) => `| ${k} | \`${files[k]}\` |`);
  return [
    '# Perf Lens: heap snapshot comparison',
    '',
    '| snapshot | file |',
    '| --- | --- |',
    ...rows,
    '',
    'Objects allocated between the baseline and the target that are still alive in the final snapshot, grouped by constructor and allocation site, largest retained size first, each with the shortest path that keeps it alive.',
    '',
    '```text',
    table.replace(/ \(use --json for all\)\./, '.').trimEnd(),
    '```',
    '',
  ].join('\n');
}

/**
 * Perf Lens: Compare Heap Snapshots — three .heapsnapshot files of one process (baseline,
 * target, final), parsed in the heap worker thread (not on the extension host's main thread)
 * and diffed; the leak groups open in a new Markdown document. `files` (three paths, in
 * order) skips the pickers. Resolves with the document.
 */
export async function compareHeapSnapshots(_ctx: CommandContext, files?: unknown): Promise<vscode.TextDocument | undefined> {
  const chosen = Array.isArray(files) && files.length === 3 && files.every((f) => typeof f === 'string') ? (files as string[]) : await pickSnapshots();
  if (!chosen) return undefined;
  if (new Set(chosen).size !== 3) {
    void vscode.window.showErrorMessage('Perf Lens: the baseline, target and final snapshots must be three different files.');
    return undefined;
  }
  const named: SnapshotFiles = { baseline: chosen[0], target: chosen[1], final: chosen[2] };
  let text: string;
  try {
    text = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Perf Lens: comparing heap snapshots' },
      async (progress) => {
        // Loaded on use: the parser stays out of activation.
        const [{ compareSnapshotFiles }, { formatLeakGroups }] = await Promise.all([import('../../core/heap/compare-files'), import('../../core/heap/format')]);
        const groups = await compareSnapshotFiles(named, { onStep: (step) => progress.report({ message: STEP_TEXT[step], increment: 25 }) });
        return leakReport(named, formatLeakGroups(groups, { top: SHOWN_GROUPS }));
      },
    );
  } catch (err) {
    void vscode.window.showErrorMessage(`Perf Lens: ${sentenceOf(err)}`);
    return undefined;
  }
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: text });
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}
