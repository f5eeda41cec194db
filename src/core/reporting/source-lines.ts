import * as fs from 'node:fs';

export type SourceTextReader = (file: string) => string | undefined;

const MAX_SOURCE_BYTES = 4 * 1024 * 1024;

/** Reads a source file from disk; undefined when it is gone, unreadable or huge. */
export const readSourceFromDisk: SourceTextReader = (file) => {
  try {
    if (fs.statSync(file).size > MAX_SOURCE_BYTES) return undefined;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

export interface SourceLine {
  line: number;
  text: string;
  /** the finding's own line */
  hit: boolean;
}

/** The finding's line with `context` lines either side, or [] when the file cannot be read. */
export function sourceExcerpt(read: SourceTextReader, file: string, line: number, context = 1): SourceLine[] {
  const text = read(file);
  if (text === undefined) return [];
  const lines = text.split(/\r?\n/);
  if (line < 1 || line > lines.length) return [];
  const out: SourceLine[] = [];
  for (let n = Math.max(1, line - context); n <= Math.min(lines.length, line + context); n++) {
    out.push({ line: n, text: lines[n - 1], hit: n === line });
  }
  return out;
}
