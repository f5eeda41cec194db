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

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
