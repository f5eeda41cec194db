import type { SourceReader } from '../util/source-text';

export interface SourceLine {
  line: number;
  text: string;
  /** the finding's own line */
  hit: boolean;
}

/** The finding's line with `context` lines either side, or [] when the file cannot be read. */
export function sourceExcerpt(read: SourceReader, file: string, line: number, context = 1): SourceLine[] {
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
