/**
 * The comparison as a static HTML page (the extension's *Compare with Baseline* webview): no
 * script at all, one nonce'd style block under `default-src 'none'`.
 */
import { relativeLocation } from '../../util/paths';
import type { Comparison, FigureChange, ScopeComparison } from '../compare';
import { comparisonHeadline } from './compare-text';
import { figureLabel, formatChange, formatFigure } from './format-figures';
import { esc } from './html-escape';

const STYLE = `
body { font: 13px/1.45 var(--vscode-font-family, system-ui, sans-serif); color: var(--vscode-foreground, #1f2328); padding: 8px 16px 32px; }
h1 { font-size: 18px; } h2 { font-size: 15px; margin-top: 22px; } code { font-family: var(--vscode-editor-font-family, monospace); }
table { border-collapse: collapse; margin: 6px 0 10px; } th, td { border: 1px solid var(--vscode-panel-border, #d1d9e0); padding: 3px 8px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.better { color: var(--vscode-testing-iconPassed, #16a34a); font-weight: 600; } .worse { color: var(--vscode-testing-iconFailed, #dc2626); font-weight: 600; } .same { opacity: .75; }
.muted { opacity: .75; }
`;

function changeText(c: FigureChange): string {
  if (c.delta === null) return '';
  const rel = c.relative === null ? '' : ` (${c.relative > 0 ? '+' : c.relative < 0 ? '−' : '±'}${Math.abs(c.relative * 100).toFixed(0)} %)`;
  return formatChange(c.figure, c.delta) + rel;
}

function table(s: ScopeComparison): string {
  const rows = s.changes
    .map((c) => {
      const iv = c.interval ? `${formatChange(c.figure, c.interval[0])} … ${formatChange(c.figure, c.interval[1])}` : c.note ?? '';
      return `<tr><td>${esc(figureLabel(c.figure))}</td><td class="num">${esc(formatFigure(c.figure, c.base))}</td><td class="num">${esc(formatFigure(c.figure, c.head))}</td><td class="num">${esc(changeText(c))}</td><td>${esc(iv)}</td><td class="${c.verdict}">${c.verdict}</td></tr>`;
    })
    .join('');
  return `<table><tr><th>figure</th><th>base</th><th>head</th><th>change</th><th>95 % interval</th><th>verdict</th></tr>${rows}</table>`;
}

export interface ComparisonHtmlOptions {
  root: string;
  names: [string, string];
  /** nonce of the style block; the CSP allows only it */
  nonce: string;
}

export function renderComparisonHtml(c: Comparison, options: ComparisonHtmlOptions): string {
  const { root, names, nonce } = options;
  const presence = (s: ScopeComparison) => (s.presence === 'new' ? ' <span class="muted">(only in head)</span>' : s.presence === 'gone' ? ' <span class="muted">(only in base)</span>' : '');
  const findings = ([['New findings', c.newFindings], ['Fixed findings', c.fixedFindings]] as const)
    .map(([title, list]) =>
      `<h2>${title} (${list.length})</h2>` +
      (list.length
        ? `<ul>${list.map((f) => `<li><strong>${esc(f.severity)}</strong> <code>${esc(f.location ? relativeLocation(f.location, root) : `pid ${f.pid}`)}</code> ${esc(f.kind)}: ${esc(f.message)}</li>`).join('')}</ul>`
        : '<p class="muted">None.</p>'),
    )
    .join('');
  return (
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${esc(nonce)}';">` +
    `<title>Perf Lens comparison</title><style nonce="${esc(nonce)}">${STYLE}</style></head><body>` +
    `<h1>Perf Lens comparison</h1><p><code>${esc(names[0])}</code> → <code>${esc(names[1])}</code>: ${esc(comparisonHeadline(c))}</p>` +
    `<p class="muted">Better or worse only when the whole 95 % interval of the change, from the spread of the samples, lies beyond the smallest change that matters.</p>` +
    `<h2>Overall</h2>${table(c.overall)}` +
    c.routes.map((s) => `<h2><code>${esc(s.scope)}</code>${presence(s)}</h2>${table(s)}`).join('') +
    findings +
    `</body></html>\n`
  );
}
