// Numbers as reports and messages print them: one way for every writer.

export const KB = 1024;
export const MB = 1024 * 1024;

/** "1.5 MB", "320 KB": binary units, one decimal under 10. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const text = v < 10 && u > 0 ? v.toFixed(1) : Math.round(v).toString();
  return `${bytes < 0 ? '-' : ''}${text} ${units[u]}`;
}

/** "4.2 MB": megabytes with one decimal, as the summaries print heap sizes. */
export function formatMegabytes(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/** "0.4 ms", "12 ms": one decimal under 10 ms, whole milliseconds above. */
export function formatMs(ms: number): string {
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

/** Rounds to 3 decimals: reports carry sub-millisecond figures without float noise. */
export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** "1 process", "3 processes". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
