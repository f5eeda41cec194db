import type { Breach } from '../budgets';
import { addBudgetResults } from './budget-sarif';
import { renderHtmlReport } from './html';
import { formatMarkdownSummary } from './markdown';
import type { SourceReader } from '../../util/source-text';
import type { Report } from '../types';
import { toSarif } from './sarif';

export type ReportFormat = 'json' | 'sarif' | 'markdown' | 'html';

export interface RenderOptions {
  /** paths in SARIF and Markdown are relative to it */
  root: string;
  /** budget breaches: SARIF results, Markdown and HTML sections */
  breaches?: readonly Breach[];
  /** the budget file (`--budget`), where SARIF locates each breach; none for the editor's settings */
  budgetSource?: { file: string; text: string };
  /** source text for the HTML report's code excerpts (the editor's unsaved text) */
  readSource?: SourceReader;
  /** fields added to the JSON report (the snapshot diffs of `--snapshots`) */
  extra?: Record<string, unknown>;
}

/** The file text of a report in one format: the one writer `perf-lens` and *Export Report* share. */
export function renderReport(report: Report, format: ReportFormat, o: RenderOptions): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(o.extra ? { ...report, ...o.extra } : report, null, 2)}\n`;
    case 'sarif': {
      const sarif = toSarif(report, o.root);
      if (o.breaches?.length) addBudgetResults(sarif, o.breaches, o.budgetSource ? { ...o.budgetSource, root: o.root } : undefined);
      return `${JSON.stringify(sarif, null, 2)}\n`;
    }
    case 'markdown':
      return formatMarkdownSummary(report, o.root, o.breaches);
    case 'html':
      return renderHtmlReport(report, { root: o.root, breaches: o.breaches, readSource: o.readSource });
  }
}
