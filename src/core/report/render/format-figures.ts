import { FIGURE_INFO, type FigureName } from '../figures-types';

const MB = 1024 * 1024;

function ms(n: number): string {
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;
}

function bytes(n: number): string {
  const abs = Math.abs(n);
  if (abs >= MB) return `${(n / MB).toFixed(1)} MB`;
  if (abs >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${Math.round(n)} B`;
}

/** A figure as a person reads it: `12.3 ms`, `1.5 %`, `2.1 MB/min`; `n/a` for null. */
export function formatFigure(name: FigureName, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  switch (FIGURE_INFO[name].unit) {
    case 'ms':
      return ms(value);
    case '%':
      return `${(value * 100).toFixed(value * 100 < 10 ? 2 : 1)} %`;
    case 'B':
      return bytes(value);
    case 'B/min':
      return `${bytes(value)}/min`;
    case '/s':
      return `${value < 10 ? value.toFixed(2) : value.toFixed(1)}/s`;
    default:
      return Number.isInteger(value) ? String(value) : value.toFixed(2);
  }
}

/** A signed change: `+3.1 ms`, `−2.00`, `+0.5 %` (percentage points for shares). */
export function formatChange(name: FigureName, delta: number | null): string {
  if (delta === null || !Number.isFinite(delta)) return 'n/a';
  const sign = delta > 0 ? '+' : delta < 0 ? '−' : '±';
  return sign + formatFigure(name, Math.abs(delta)).replace(/ %$/, ' pp');
}

export function figureLabel(name: FigureName): string {
  return FIGURE_INFO[name].label;
}
