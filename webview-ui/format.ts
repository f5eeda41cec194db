/** Short human figures for axes, tooltips and tables. */
export function bytes(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GB`;
  if (abs >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(abs >= 100 * 1024 ** 2 ? 0 : 1)} MB`;
  if (abs >= 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${n} B`;
}

export function ms(n: number): string {
  if (n >= 1000) return `${(n / 1000).toFixed(2)} s`;
  if (n >= 10) return `${n.toFixed(0)} ms`;
  return `${n.toFixed(n >= 1 ? 1 : 2)} ms`;
}

export function clock(t: number): string {
  const d = new Date(t);
  const two = (v: number) => String(v).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export function count(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(0)}k` : String(Math.round(n * 10) / 10);
}

/** The last two path segments: enough to recognise a file in a narrow list. */
export function shortPath(file: string): string {
  return file.split(/[\\/]/).slice(-2).join('/');
}
