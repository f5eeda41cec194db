import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND, originalPositionFor } from '@jridgewell/trace-mapping';
import type { SourceLocation } from '../../protocol';
import { loadMap } from './load-map';
import type { LoadedMap } from './load-map';

/** Files whose maps are kept; beyond this the cache starts over. */
const MAX_FILES = 2000;

/**
 * Maps generated-JS locations (as the agent reports them: absolute path, 1-based line and
 * column) to the original source through the file's source map (tsc, esbuild, babel;
 * external `.map` or inline `data:` URL). Maps are read once per file and kept.
 */
export class SourceMapper {
  private readonly maps = new Map<string, LoadedMap | null>();

  /** The original location, as an absolute path, 1-based; unchanged when unmapped. Never throws. */
  map(loc: SourceLocation): SourceLocation {
    try {
      if (!loc || typeof loc.file !== 'string' || !(loc.line >= 1)) return loc;
      const file = loc.file.startsWith('file:') ? fileURLToPath(loc.file) : loc.file;
      const loaded = this.mapOf(file);
      if (loaded === null) return loc;
      const needle = { line: loc.line, column: Math.max(0, (loc.column || 1) - 1) };
      let found = originalPositionFor(loaded.map, { ...needle, bias: GREATEST_LOWER_BOUND });
      if (found.source === null || found.line === null) {
        found = originalPositionFor(loaded.map, { ...needle, bias: LEAST_UPPER_BOUND });
      }
      if (found.source === null || found.line === null || found.column === null) return loc;
      return { file: this.resolveSource(found.source, loaded.base), line: found.line, column: found.column + 1 };
    } catch {
      return loc;
    }
  }

  /** Forgets every map read (files rebuilt since). */
  clear(): void {
    this.maps.clear();
  }

  private mapOf(file: string): LoadedMap | null {
    let loaded = this.maps.get(file);
    if (loaded === undefined) {
      if (this.maps.size >= MAX_FILES) this.maps.clear();
      loaded = loadMap(file);
      this.maps.set(file, loaded);
    }
    return loaded;
  }

  private resolveSource(source: string, base: string): string {
    if (source.startsWith('file:')) return fileURLToPath(source);
    return path.resolve(base, source);
  }
}
