import { renderReport, type ReportFormat } from '../../core/report/render/index';
import type { Report } from '../../core/report/types';
import type { Breach } from '../../core/report/budgets';
import type { SourceReader } from '../../core/util/source-text';

export type { ReportFormat };

/** What a report may carry beyond the findings: budget breaches, and the editor's source text. */
export interface ReportExtras {
  breaches?: readonly Breach[];
  readSource?: SourceReader;
}

/** What *Export Report* offers, with the file extension and save-dialog filter of each. */
export const REPORT_FORMATS: ReadonlyArray<{ format: ReportFormat; label: string; detail: string; extension: string; filter: string }> = [
  { format: 'json', label: 'JSON', detail: 'The perf-lens report, as `perf-lens run --json` writes it', extension: 'json', filter: 'JSON' },
  { format: 'sarif', label: 'SARIF 2.1.0', detail: 'For code scanning: one result per finding, paths relative to the workspace', extension: 'sarif', filter: 'SARIF' },
  { format: 'markdown', label: 'Markdown', detail: 'Findings by kind and one row per process, for an issue or a pull request', extension: 'md', filter: 'Markdown' },
  { format: 'html', label: 'HTML', detail: 'One self-contained page: key figures, charts, findings with their source lines; opens offline', extension: 'html', filter: 'HTML' },
];

/** The file text of a report in one format; `root` makes paths relative (SARIF, Markdown). */
export function reportContent(report: Report, format: ReportFormat, root: string, extras: ReportExtras = {}): string {
  return renderReport(report, format, { root, breaches: extras.breaches, readSource: extras.readSource });
}
