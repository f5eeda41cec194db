import {
  BarController,
  BarElement,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
  type Point,
} from 'chart.js';
import type { ProvisionalPoints, SeriesName, SeriesPoints } from '../src/protocol/chart-messages';
import { clock } from './format';
import { alpha, type ChartColor, type Palette } from './theme';

// Only what these charts draw: Chart.js is tree-shaken to line and bar charts on linear axes.
Chart.register(LineController, BarController, LineElement, PointElement, BarElement, LinearScale, Legend, Tooltip);

type Tuple = number[];

/** Closed points of some series, and the open seconds of per-second series (see ProcessSeries). */
export type ChartPoints = Partial<SeriesPoints> & { provisional?: ProvisionalPoints };

export interface DatasetSpec {
  label: string;
  source: SeriesName;
  /** the y of a point of `source`, or null to skip it */
  y: (p: Tuple) => number | null;
  color: ChartColor;
  type: 'line' | 'bar';
  axis?: 'y' | 'y1';
  /** drawn as marks (no line), e.g. major GCs */
  marks?: boolean;
}

export interface ChartSpec {
  title: string;
  datasets: DatasetSpec[];
  y: (v: number) => string;
  y1?: (v: number) => string;
}

/**
 * One live chart: built once, then points are appended, trimmed to the time window and drawn
 * with `update('none')` at most once per animation frame. Parsing and animation are off and
 * the x axis is a linear axis of epoch ms with a fixed min and max, so no date adapter.
 * A provisional point (a second still open) is drawn last in its dataset and swapped for
 * whatever comes next in its series, so a second never has two points.
 */
export class LiveChart {
  readonly chart: Chart;
  private scheduled = false;
  /** per dataset: its last point, while that point is provisional */
  private readonly provisional: (Point | null)[];

  constructor(
    readonly canvas: HTMLCanvasElement,
    readonly spec: ChartSpec,
    palette: Palette,
  ) {
    this.chart = new Chart(canvas, {
      type: spec.datasets[0].type,
      data: { datasets: spec.datasets.map((d) => this.dataset(d)) },
      options: {
        animation: false,
        parsing: false,
        normalized: true,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 10, boxHeight: 10 } },
          tooltip: {
            callbacks: {
              title: (items) => (items.length ? clock(items[0].parsed.x ?? 0) : ''),
              label: (item) => {
                const fmt = (item.dataset as { yAxisID?: string }).yAxisID === 'y1' ? spec.y1 ?? spec.y : spec.y;
                return `${item.dataset.label}: ${fmt(item.parsed.y ?? 0)}`;
              },
            },
          },
        },
        scales: {
          x: {
            type: 'linear',
            min: 0,
            max: 1,
            offset: false,
            ticks: { callback: (v) => clock(Number(v)), maxTicksLimit: 6, maxRotation: 0 },
          },
          // Never stacked: Chart.js keeps one stack record per x value for the chart's lifetime.
          y: { type: 'linear', beginAtZero: true, stacked: false, ticks: { callback: (v) => spec.y(Number(v)), maxTicksLimit: 6 } },
          ...(spec.y1 && {
            y1: {
              type: 'linear',
              position: 'right',
              beginAtZero: true,
              grid: { drawOnChartArea: false },
              ticks: { callback: (v: number | string) => spec.y1!(Number(v)), maxTicksLimit: 6 },
            },
          }),
        },
      },
    });
    this.provisional = spec.datasets.map(() => null);
    this.setPalette(palette);
  }

  private dataset(d: DatasetSpec): ChartDataset<'line' | 'bar', Point[]> {
    const base = { label: d.label, data: [] as Point[], yAxisID: d.axis ?? 'y' };
    if (d.type === 'bar') return { ...base, type: 'bar', barPercentage: 1, categoryPercentage: 0.9, grouped: true };
    return d.marks
      ? { ...base, type: 'line', showLine: false, pointRadius: 5, pointHoverRadius: 7, pointStyle: 'triangle' }
      : { ...base, type: 'line', pointRadius: 0, pointHitRadius: 6, borderWidth: 1.5, tension: 0 };
  }

  /** Theme colours, on creation and on every theme change. */
  setPalette(p: Palette): void {
    const c = this.chart;
    this.spec.datasets.forEach((d, i) => {
      const ds = c.data.datasets[i];
      ds.borderColor = p[d.color];
      ds.backgroundColor = d.type === 'bar' ? alpha(p[d.color], 0.7) : p[d.color];
    });
    for (const scale of Object.values(c.options.scales ?? {})) {
      if (!scale) continue;
      if (scale.ticks) scale.ticks.color = p.foreground;
      if (scale.grid) scale.grid.color = p.lines;
      if ('border' in scale && scale.border) scale.border.color = p.lines;
    }
    if (c.options.plugins?.legend?.labels) c.options.plugins.legend.labels.color = p.foreground;
    this.requestDraw();
  }

  /** Replaces every dataset's points with those of `series`. */
  reset(series: ChartPoints): void {
    this.chart.data.datasets.forEach((ds) => (ds.data.length = 0));
    this.provisional.fill(null);
    this.append(series);
  }

  /** Appends closed points; a provisional point replaces the one before it (see ChartPoints). */
  append(series: ChartPoints): void {
    this.spec.datasets.forEach((d, i) => {
      const points = (series[d.source] as Tuple[] | undefined) ?? [];
      const open = series.provisional?.[d.source as keyof ProvisionalPoints] as Tuple | undefined;
      if (!points.length && !open) return;
      const data = this.chart.data.datasets[i].data as Point[];
      const old = this.provisional[i];
      if (old && data[data.length - 1] === old) data.pop();
      this.provisional[i] = null;
      for (const p of points) {
        const y = d.y(p);
        if (y !== null && Number.isFinite(y)) data.push({ x: p[0], y });
      }
      const y = open ? d.y(open) : null;
      if (open && y !== null && Number.isFinite(y)) data.push((this.provisional[i] = { x: open[0], y }));
    });
  }

  /**
   * Lets go of the points before `max - windowMs` and shows up to `max`, from `start` (the
   * process's first point) while it is younger than the window, so a new process fills the width.
   */
  setWindow(max: number, windowMs: number, start = -Infinity): void {
    const min = max - windowMs;
    const x = this.chart.options.scales!.x!;
    x.min = Math.min(Math.max(min, start), max - 10_000);
    x.max = max;
    for (const ds of this.chart.data.datasets) {
      const data = ds.data as { x: number; y: number }[];
      let cut = 0;
      while (cut < data.length && data[cut].x < min) cut++;
      if (cut) data.splice(0, cut);
    }
    this.requestDraw();
  }

  /** Per dataset, its newest drawn point as [x, y], or null (the page exposes it for tests). */
  get last(): ((number | null)[] | null)[] {
    return this.chart.data.datasets.map((ds) => {
      const p = (ds.data as Point[]).at(-1);
      return p ? [p.x, p.y] : null;
    });
  }

  /** How many points are drawn (the page exposes it for tests and for the empty-state text). */
  get points(): number {
    return this.chart.data.datasets.reduce((n, ds) => n + ds.data.length, 0);
  }

  requestDraw(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.chart.update('none');
      this.canvas.dataset.points = String(this.points);
      this.canvas.dataset.last = JSON.stringify(this.last);
    });
  }
}
