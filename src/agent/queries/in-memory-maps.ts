import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceLocation } from '../../protocol/messages';

/**
 * Code transpiled in memory has no file the core could read a source map from: `tsx`
 * compiles each .ts file to a single generated line (measured: every call site is line 1)
 * under the .ts file's own name. Node keeps the maps of what it loaded when source maps are
 * enabled (`--enable-source-maps`, `process.setSourceMapsEnabled(true)`, which tsx calls):
 * a location is mapped here, in the app, through `module.findSourceMap`. Locations Node has
 * no map for stay generated, for the core's SourceMapper to map from the files on disk.
 */

interface NodeSourceMap {
  findEntry(line: number, column: number): { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
}

let findSourceMap: ((url: string) => NodeSourceMap | undefined) | null | undefined;

function finder(): ((url: string) => NodeSourceMap | undefined) | null {
  if (findSourceMap === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fn = (require('node:module') as { findSourceMap?: unknown }).findSourceMap;
      findSourceMap = typeof fn === 'function' ? (fn as (url: string) => NodeSourceMap | undefined) : null;
    } catch {
      findSourceMap = null;
    }
  }
  return findSourceMap;
}

/** `name` is the script name V8 reported (a path, or a file: URL for ESM); `file` its path. */
export function originalLocation(name: string, file: string, line: number, column: number): SourceLocation {
  const generated = { file, line, column };
  // Node ≥ 20.7 says whether maps are kept; without them there is nothing to look up
  if ((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled !== true) return generated;
  const find = finder();
  if (find === null || line < 1) return generated;
  try {
    const map = find(name);
    const entry = map?.findEntry(line - 1, Math.max(0, column - 1));
    if (!entry || typeof entry.originalSource !== 'string' || typeof entry.originalLine !== 'number') return generated;
    const source = entry.originalSource;
    const original = source.startsWith('file:') ? fileURLToPath(source) : path.resolve(path.dirname(file), source);
    return { file: original, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
  } catch {
    return generated;
  }
}
