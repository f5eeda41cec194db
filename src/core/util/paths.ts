import * as path from 'node:path';

/** `file` relative to `root` with forward slashes when it lies inside it; null outside (or no root). */
export function pathInside(root: string, file: string): string | null {
  if (!root) return null;
  const rel = path.relative(root, file);
  // '..cache/x.js' is inside the root; only a '..' segment leaves it
  if (!rel || rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel)) return null;
  return rel.split(path.sep).join('/');
}

/** `src/app.js:42:17` inside the root, the absolute path outside it. */
export function relativeLocation(loc: { file: string; line: number; column: number }, root: string): string {
  return `${pathInside(root, loc.file) ?? loc.file}:${loc.line}:${loc.column}`;
}
