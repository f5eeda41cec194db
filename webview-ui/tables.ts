import type { FindingRow, QueryRow } from '../src/protocol/chart-messages';
import { el } from './dom';
import { count, ms, shortPath } from './format';

const QUERY_COLUMNS = ['Query', 'DB', 'Count', 'Total', 'Mean', 'p95', 'Max'];

/**
 * The top-queries table (a vscode-table), most total time first. It is re-rendered up to ten
 * times a second: rows and cells are kept and only texts that changed are written.
 */
export class QueryTable {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly rows: HTMLElement[][] = [];

  constructor() {
    this.body = el('vscode-table-body', { attrs: { slot: 'body' } });
    const header = el('vscode-table-header', { attrs: { slot: 'header' } }, QUERY_COLUMNS.map((c) => el('vscode-table-header-cell', { text: c })));
    const table = el('vscode-table', { class: 'queries', attrs: { zebra: '', 'bordered-rows': '', resizable: '' } }, [header, this.body]);
    (table as HTMLElement & { columns: string[] }).columns = ['46%', '9%', '9%', '9%', '9%', '9%', '9%'];
    this.empty = el('p', { class: 'empty', text: 'No queries from this process yet.' });
    this.element = el('section', { class: 'queries-view' }, [this.empty, table]);
  }

  render(rows: readonly QueryRow[]): void {
    this.empty.hidden = rows.length > 0;
    rows.forEach((r, i) => {
      const cells = this.rows[i] ?? this.addRow();
      const texts = [r.fingerprint, r.db, count(r.count), ms(r.totalMs), ms(r.meanMs), ms(r.p95Ms), ms(r.maxMs)];
      texts.forEach((text, c) => {
        if (cells[c].textContent !== text) cells[c].textContent = text;
      });
      if (cells[0].title !== r.fingerprint) cells[0].title = r.fingerprint;
    });
    for (const cells of this.rows.splice(rows.length)) cells[0].parentElement?.remove();
  }

  private addRow(): HTMLElement[] {
    const cells = QUERY_COLUMNS.map((_, c) => el('vscode-table-cell', { class: c === 0 ? 'sql' : c === 1 ? undefined : 'num' }));
    this.body.append(el('vscode-table-row', {}, cells));
    this.rows.push(cells);
    return cells;
  }
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

/** The findings, worst first; a click on a location asks the host to open it. */
export class FindingList {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly empty: HTMLElement;

  constructor(private readonly open: (f: FindingRow) => void) {
    this.list = el('ul', { class: 'findings' });
    this.empty = el('p', { class: 'empty', text: 'No findings yet.' });
    this.element = el('section', { class: 'findings-view' }, [this.empty, this.list]);
  }

  render(findings: readonly FindingRow[]): void {
    this.empty.hidden = findings.length > 0;
    const sorted = [...findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.pid - b.pid);
    this.list.replaceChildren(
      ...sorted.map((f) => {
        const parts: (Node | string)[] = [
          el('vscode-icon', { class: `sev ${f.severity}`, attrs: { name: f.severity, label: f.severity } }),
          el('span', { class: 'kind', text: f.kind }),
          el('span', { class: 'message', text: f.message }),
          el('span', { class: 'pid', text: `pid ${f.pid}` }),
        ];
        if (f.location) {
          const where = `${shortPath(f.location.file)}:${f.location.line}`;
          const link = el('a', { class: 'location', text: where, attrs: { href: '#', title: `${f.location.file}:${f.location.line}:${f.location.column}` } });
          link.addEventListener('click', (e) => {
            e.preventDefault();
            this.open(f);
          });
          parts.push(link);
        }
        return el('li', { class: 'finding', attrs: { 'data-id': f.id } }, parts);
      }),
    );
  }
}
