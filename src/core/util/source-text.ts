import { readFileSync, statSync } from 'node:fs';

/** Reads a source file's text; undefined when it cannot. */
export type SourceReader = (file: string) => string | undefined;

/** Files larger than this are not source anyone annotates (bundles, data): never read. */
export const MAX_SOURCE_BYTES = 4 * 1024 * 1024;

/** Reads a source file from disk; undefined when it is gone, unreadable or huge. */
export const readSourceFromDisk: SourceReader = (file) => {
  try {
    if (statSync(file).size > MAX_SOURCE_BYTES) return undefined;
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};
