import { formatMarkdownReport } from '../../core/live/markdown-report';
import { toSarif } from '../../core/report/sarif';
import type { Report } from '../../core/report/report-types';

export type ReportFormat = 'json' | 'sarif' | 'markdown';

/** What *Export Report* offers, with the file extension and save-dialog filter of each. */
export const REPORT_FORMATS: ReadonlyArray<{ format: ReportFormat; label: string; detail: string; extension: string; filter: string }> = [
  { format: 'json', label: 'JSON', detail: 'The perf-lens report, as `perf-lens run --json` writes it', extension: 'json', filter: 'JSON' },
  { format: 'sarif', label: 'SARIF 2.1.0', detail: 'For code scanning: one result per finding, paths relative to the workspace', extension: 'sarif', filter: 'SARIF' },
  { format: 'markdown', label: 'Markdown', detail: 'Findings by kind and one row per process, for an issue or a pull request', extension: 'md', filter: 'Markdown' },
];

/** The file text of a report in one format; `root` makes paths relative (SARIF, Markdown). */
export function reportContent(report: Report, format: ReportFormat, root: string): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'sarif':
      return `${JSON.stringify(toSarif(report, root), null, 2)}\n`;
    case 'markdown':
      return formatMarkdownReport(report, root);
  }
}
