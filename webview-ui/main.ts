/**
 * Live charts panel front end. The host sends the whole buffer ('reset') whenever this page
 * (re)loads and says 'ready', then new points ('append') up to ten times a second, the open
 * second of per-second series as a provisional point that later ones replace; UI choices
 * (process, tab) survive hiding through vscode.setState.
 */
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import type { HostToWebview } from '../src/protocol/chart-messages';
import { CHART_SPECS } from './chart-specs';
import { el } from './dom';
import { bytes, count, ms } from './format';
import { LiveChart } from './live-chart';
import { PanelModel } from './model';
import { FindingList, QueryTable } from './tables';
import { readPalette, watchTheme } from './theme';
import { loadState, post, saveState } from './vscode-api';

const state = loadState();
const model = new PanelModel();
const root = document.getElementById('root') ?? document.body;

// Header: process selector and the latest figures of the selected process.
const select = el('vscode-single-select', { class: 'process', attrs: { 'aria-label': 'Process' } }) as HTMLElement & { value: string };
const summary = el('span', { class: 'summary' });
const emptyNote = el('p', {
  class: 'empty',
  text: 'No Node.js process is reporting yet. Run "Perf Lens: Launch Current File with Profiling" or start one in a profiling terminal.',
});

// Charts tab: the charts, built once; the cache chart is shown only for a process that reads a cache.
const palette = readPalette();
const charts = Object.entries(CHART_SPECS).map(([id, spec]) => {
  const canvas = el('canvas', { attrs: { 'data-chart': id, role: 'img', 'aria-label': spec.title } });
  const card = el('section', { class: 'chart-card' }, [el('h3', { text: spec.title }), el('div', { class: 'chart-box' }, [canvas])]);
  return { id, card, chart: new LiveChart(canvas, spec, palette) };
});
const cacheCard = charts.find((c) => c.id === 'cache')!.card;
const poolCard = charts.find((c) => c.id === 'pool')!.card;
cacheCard.hidden = true;
poolCard.hidden = true;

/** The cache and pool charts show only for a process that read a cache or has a pool. */
function showCacheChart(pid: number | undefined): void {
  const cache = pid !== undefined && model.readsCache(pid);
  if (cacheCard.hidden === cache) cacheCard.hidden = !cache;
  const pool = pid !== undefined && model.hasPool(pid);
  if (poolCard.hidden === pool) poolCard.hidden = !pool;
}
const queryTable = new QueryTable();
const findingList = new FindingList((f) => f.location && post({ type: 'open', file: f.location.file, line: f.location.line, column: f.location.column }));
const findingsBadge = el('vscode-badge', { attrs: { variant: 'counter' }, text: '0' });

const tabs = el('vscode-tabs', { attrs: { 'selected-index': String(state.tab) } }, [
  el('vscode-tab-header', { attrs: { slot: 'header' }, text: 'Charts' }),
  el('vscode-tab-panel', {}, [el('div', { class: 'chart-grid' }, charts.map((c) => c.card))]),
  el('vscode-tab-header', { attrs: { slot: 'header' }, text: 'Top queries' }),
  el('vscode-tab-panel', {}, [queryTable.element]),
  el('vscode-tab-header', { attrs: { slot: 'header' } }, ['Findings ', findingsBadge]),
  el('vscode-tab-panel', {}, [findingList.element]),
]);
tabs.addEventListener('vsc-tabs-select', (e) => {
  state.tab = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
  saveState(state);
});
select.addEventListener('change', () => {
  state.pid = select.value === '' ? null : Number(select.value);
  saveState(state);
  redraw();
});

root.append(el('header', { class: 'bar' }, [el('label', { text: 'Process' }), select, summary]), emptyNote, tabs);

/** The process shown: the one picked by hand if it is still known, else the newest. */
function selectedPid(): number | undefined {
  if (state.pid !== null && model.processes.some((p) => p.pid === state.pid)) return state.pid;
  return model.newest()?.pid;
}

function renderProcesses(): void {
  const newest = model.newest();
  const options = [el('vscode-option', { attrs: { value: '' }, text: newest ? `Newest (pid ${newest.pid})` : 'Newest' })];
  for (const p of [...model.processes].sort((a, b) => b.startedAt - a.startedAt)) {
    options.push(el('vscode-option', { attrs: { value: String(p.pid) }, text: `pid ${p.pid} · ${p.command}${p.ended ? ' (ended)' : ''}` }));
  }
  select.replaceChildren(...options);
  select.value = state.pid === null ? '' : String(state.pid);
  emptyNote.hidden = model.processes.length > 0;
}

function renderSummary(pid: number | undefined): void {
  const d = pid === undefined ? undefined : model.get(pid);
  const mem = d?.series.memory.at(-1);
  const http = d?.series.http.at(-1);
  const loop = d?.series.eventLoop.at(-1);
  const parts: string[] = [];
  if (mem) parts.push(`heap ${bytes(mem[1])}`, `RSS ${bytes(mem[3])}`);
  if (loop) parts.push(`loop p99 ${ms(loop[2])}`);
  if (http) parts.push(`${count(http[1])} req/s`);
  // the hit rate over the cache reads of the time shown
  let hits = 0;
  let reads = 0;
  for (const p of d?.series.cache ?? []) {
    hits += p[1];
    reads += p[1] + p[2];
  }
  if (reads > 0) parts.push(`cache hits ${Math.round((hits / reads) * 100)} %`);
  summary.textContent = parts.join(' · ');
}

/** Everything of the selected process from the model: after a reset or a change of process. */
function redraw(): void {
  renderProcesses();
  const pid = selectedPid();
  const d = pid === undefined ? undefined : model.get(pid);
  for (const { chart } of charts) {
    chart.reset(d ? { ...d.series, provisional: d.provisional } : {});
    chart.setWindow(d?.lastT || Date.now(), model.windowMs, pid === undefined ? undefined : model.start(pid));
  }
  queryTable.render(d?.queries ?? []);
  renderFindings();
  renderSummary(pid);
  showCacheChart(pid);
}

function renderFindings(): void {
  findingList.render(model.findings);
  findingsBadge.textContent = String(model.findings.length);
}

window.addEventListener('message', (event: MessageEvent<HostToWebview>) => {
  const msg = event.data;
  if (!msg || typeof msg !== 'object') return;
  if (msg.type === 'reset') {
    model.apply(msg);
    return redraw();
  }
  const before = selectedPid();
  const touched = model.apply(msg);
  if (msg.type === 'findings') return renderFindings();
  if (msg.processes) renderProcesses();
  const pid = selectedPid();
  // A new newest process took over the charts: draw it from the model.
  if (pid !== before) return redraw();
  if (pid === undefined) return;
  const d = model.get(pid)!;
  if (touched.has(pid)) {
    const s = msg.series.find((x) => x.pid === pid)!;
    for (const { chart } of charts) {
      chart.append(s);
      chart.setWindow(d.lastT, model.windowMs, model.start(pid));
    }
    renderSummary(pid);
    showCacheChart(pid);
  }
  if (msg.queries?.[pid]) queryTable.render(d.queries);
});

watchTheme((p) => charts.forEach(({ chart }) => chart.setPalette(p)));
redraw();
post({ type: 'ready' });
