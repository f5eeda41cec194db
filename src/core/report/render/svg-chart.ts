/**
 * Static SVG charts for the HTML report: a few lines, dots or bars over time with labelled
 * axes. No script, no external font or style: the file opens anywhere, offline.
 */
import { esc } from './html-escape';
import { thinEvenly } from '../../stats/sample-stats';

export interface Series {
  name: string;
  color: string;
  /** [epoch ms, value] */
  points: readonly (readonly [number, number])[];
  style?: 'line' | 'dots' | 'bars';
}

export interface ChartSpec {
  title: string;
  series: readonly Series[];
  /** formats a y value for the axis */
  formatY: (v: number) => string;
  /** x origin (epoch ms): the axis shows seconds since */
  t0: number;
  /** x end (epoch ms); default: the last point. Charts of one run share t0 and t1 to line up. */
  t1?: number;
  /** width of one bar in x units (ms), for bar series */
  barMs?: number;
}

const W = 720;
const H = 220;
const PAD = { left: 64, right: 12, top: 28, bottom: 34 };
const MAX_POINTS = 800;

/** 1, 2, 5 × 10^k steps giving about `n` ticks over [0, max]. */
function niceStep(max: number, n: number): number {
  if (!(max > 0)) return 1;
  const raw = max / n;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = raw / pow;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * pow;
}

const f1 = (n: number) => (Math.round(n * 10) / 10).toString();

export function svgChart(spec: ChartSpec): string {
  const all = spec.series.flatMap((s) => s.points);
  const title = `<text x="${PAD.left}" y="18" class="chart-title">${esc(spec.title)}</text>`;
  if (all.length === 0) {
    return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(spec.title)}: no data">${title}<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="chart-empty">no data</text></svg>`;
  }
  const bar = spec.barMs ?? 0;
  const xMin = spec.t0;
  const xMax = Math.max(xMin + 1000, spec.t1 ?? 0, ...all.map((p) => p[0] + bar));
  const yTop = Math.max(...all.map((p) => p[1]), 0);
  const yStep = niceStep(yTop || 1, 4);
  const yMax = Math.max(yStep, Math.ceil((yTop || 1) / yStep) * yStep);
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + ((t - xMin) / (xMax - xMin)) * pw;
  const y = (v: number) => PAD.top + ph - (v / yMax) * ph;
  const parts: string[] = [title];
  for (let v = 0; v <= yMax + yStep / 2; v += yStep) {
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${f1(y(v))}" y2="${f1(y(v))}" class="grid"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${f1(y(v) + 4)}" text-anchor="end" class="tick">${esc(spec.formatY(v))}</text>`);
  }
  const secs = (xMax - xMin) / 1000;
  const xStep = niceStep(secs, 6);
  for (let s = 0; s <= secs + 1e-9; s += xStep) {
    const px = x(xMin + s * 1000);
    parts.push(`<line x1="${f1(px)}" x2="${f1(px)}" y1="${PAD.top + ph}" y2="${PAD.top + ph + 4}" class="axis"/>`);
    parts.push(`<text x="${f1(px)}" y="${PAD.top + ph + 16}" text-anchor="middle" class="tick">${esc(`${f1(s)} s`)}</text>`);
  }
  parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${PAD.top + ph}" y2="${PAD.top + ph}" class="axis"/>`);
  for (const s of spec.series) {
    const pts = thinEvenly(s.points, MAX_POINTS);
    const style = s.style ?? 'line';
    if (style === 'line') {
      const d = pts.map((p, i) => `${i ? 'L' : 'M'}${f1(x(p[0]))},${f1(y(p[1]))}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"><title>${esc(s.name)}</title></path>`);
      // few samples (a short run): mark each, a lone point draws no line
      if (pts.length < 30) for (const p of pts) parts.push(`<circle cx="${f1(x(p[0]))}" cy="${f1(y(p[1]))}" r="2.5" fill="${s.color}"><title>${esc(`${s.name}: ${spec.formatY(p[1])}`)}</title></circle>`);
    } else if (style === 'dots') {
      for (const p of pts) parts.push(`<circle cx="${f1(x(p[0]))}" cy="${f1(y(p[1]))}" r="2.5" fill="${s.color}"><title>${esc(`${s.name}: ${spec.formatY(p[1])}`)}</title></circle>`);
    } else {
      const w = Math.max(1, (bar / (xMax - xMin)) * pw - 1);
      for (const p of pts) {
        if (p[1] <= 0) continue;
        parts.push(`<rect x="${f1(x(p[0]))}" y="${f1(y(p[1]))}" width="${f1(w)}" height="${f1(y(0) - y(p[1]))}" fill="${s.color}"><title>${esc(`${s.name}: ${spec.formatY(p[1])}`)}</title></rect>`);
      }
    }
  }
  let lx = W - PAD.right;
  for (const s of [...spec.series].reverse()) {
    const w = 18 + s.name.length * 6.5;
    lx -= w;
    parts.push(`<rect x="${f1(lx)}" y="9" width="10" height="10" fill="${s.color}"/><text x="${f1(lx + 13)}" y="18" class="legend">${esc(s.name)}</text>`);
  }
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(spec.title)}">${parts.join('')}</svg>`;
}
