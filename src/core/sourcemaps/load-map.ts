import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TraceMap } from '@jridgewell/trace-mapping';

/** Generated files larger than this are not read to look for their map comment. */
const MAX_GENERATED_BYTES = 64 * 1024 * 1024;
/** The comment tsc, esbuild and babel write last; `//@` is the old spelling. */
const COMMENT = /(?:\/\/|\/\*)[#@]\s*sourceMappingURL=([^\s'"*]+)\s*(?:\*\/\s*)?$/;

export interface LoadedMap {
  map: TraceMap;
  /** what relative `sources` resolve against */
  base: string;
}

function decodeDataUrl(url: string): string | null {
  const comma = url.indexOf(',');
  if (comma < 0) return null;
  const meta = url.slice(5, comma);
  const body = url.slice(comma + 1);
  return meta.split(';').includes('base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
}

/** The last sourceMappingURL comment of a generated file (within its final lines). */
function mapComment(source: string): string | null {
  let end = source.length;
  for (let lines = 0; lines < 5 && end > 0; lines++) {
    const start = source.lastIndexOf('\n', end - 1) + 1;
    const line = source.slice(start, end).trim();
    const m = COMMENT.exec(line);
    if (m) return m[1];
    end = start - 1;
  }
  return null;
}

/** The source map of `file` (its comment, an inline data: URL, or `file.map`), or null. */
export function loadMap(file: string): LoadedMap | null {
  let source: string;
  try {
    if (fs.statSync(file).size > MAX_GENERATED_BYTES) return null;
    source = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const url = mapComment(source);
  let raw: string | null = null;
  let mapFile = file;
  try {
    if (url !== null && url.startsWith('data:')) {
      raw = decodeDataUrl(url);
    } else {
      mapFile = url === null ? `${file}.map` : url.startsWith('file:') ? fileURLToPath(url) : path.resolve(path.dirname(file), decodeURIComponent(url));
      raw = fs.readFileSync(mapFile, 'utf8');
    }
  } catch {
    return null;
  }
  if (raw === null) return null;
  try {
    const json = JSON.parse(raw) as { sourceRoot?: string };
    return { map: new TraceMap(json as never), base: path.dirname(mapFile) };
  } catch {
    return null;
  }
}
