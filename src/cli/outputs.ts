import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeSessions, formatSummary, initDetectors, renderReport, type Report, type Session, addSnapshotEvidence, type ProcessSnapshotDiff } from '../core';
import { BudgetError, checkBudgets, formatBreaches, parseBudgetText, withFigures, type Budget } from '../core/report';
import type { OutputOptions } from './args';
import { UsageError } from './usage-error';

function writeFile(file: string, base: string, content: string): void {
  const abs = path.resolve(base, file);
  try {
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
  } catch (err) {
    throw new Error(`Could not write ${file}: ${(err as Error).message}.`);
  }
}

export interface LoadedBudget {
  file: string;
  text: string;
  budget: Budget;
}

/** Reads and validates `--budget FILE`; a missing or malformed file is a usage error (exit 2). */
export function loadBudget(file: string, cwd: string): LoadedBudget {
  const abs = path.resolve(cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch {
    throw new UsageError(`The budget file ${file} cannot be read.`);
  }
  try {
    return { file: abs, text, budget: parseBudgetText(text, file) };
  } catch (err) {
    if (err instanceof BudgetError) throw new UsageError(err.message);
    throw err;
  }
}

/** Runs the detectors, writes what was asked, prints the summary; returns the exit code. */
export async function finishReport(
  sessions: readonly Session[],
  opts: OutputOptions,
  cwd: string,
  /** optional fields added to the JSON report (e.g. snapshotDiffs of --snapshots) */
  extra?: Record<string, unknown>,
): Promise<{ report: Report; exitCode: number }> {
  await initDetectors();
  const budget = opts.budget ? loadBudget(opts.budget, cwd) : null;
  const report = withFigures(analyzeSessions(sessions, opts.detectors), sessions);
  const diffs = extra?.snapshotDiffs;
  if (Array.isArray(diffs)) addSnapshotEvidence(report.findings, diffs as ProcessSnapshotDiff[]);
  const breaches = budget ? checkBudgets(report.figures!, budget.budget) : undefined;
  const render = { root: opts.root, breaches, budgetSource: budget ? { file: budget.file, text: budget.text } : undefined, extra };
  if (opts.json) writeFile(opts.json, cwd, renderReport(report, 'json', render));
  if (opts.sarif) writeFile(opts.sarif, cwd, renderReport(report, 'sarif', render));
  if (opts.html) writeFile(opts.html, cwd, renderReport(report, 'html', render));
  if (opts.markdown) writeFile(opts.markdown, cwd, renderReport(report, 'markdown', render));
  process.stdout.write(formatSummary(report, opts.root) + '\n' + (breaches ? formatBreaches(breaches) + '\n' : ''));
  let exitCode = 0;
  const matched = report.findings.filter((f) => opts.failOn.includes(f.kind));
  if (matched.length) {
    process.stderr.write(`perf-lens: ${matched.length} finding${matched.length === 1 ? '' : 's'} of a --fail-on kind (${[...new Set(matched.map((f) => f.kind))].join(', ')}).\n`);
    exitCode = 1;
  }
  if (breaches?.length) {
    process.stderr.write(`perf-lens: ${breaches.length} budget${breaches.length === 1 ? '' : 's'} breached (${[...new Set(breaches.map((b) => b.ruleId))].join(', ')}).\n`);
    exitCode = 1;
  }
  return { report, exitCode };
}
