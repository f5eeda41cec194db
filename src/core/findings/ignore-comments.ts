import { readSourceFromDisk, type SourceReader } from '../util/source-text';
import type { Finding } from './finding';

const DIRECTIVE = 'perf-lens-ignore';
const MAX_CACHED_FILES = 64;

/**
 * The kinds a `perf-lens-ignore` comment on this line silences: 'all' for the bare directive,
 * a set for `perf-lens-ignore n-plus-one, slow-query`, null when the line has no directive.
 * The directive counts only inside a comment (`//`, `#`, `--`, `/* … *\/`).
 */
export function ignoredKinds(line: string, knownKinds: ReadonlySet<string>): 'all' | Set<string> | null {
  const at = line.indexOf(DIRECTIVE);
  if (at < 0) return null;
  const before = line.slice(0, at);
  if (!(before.includes('//') || before.includes('#') || before.includes('--') || before.includes('/*'))) return null;
  let i = at + DIRECTIVE.length;
  const next = line.charCodeAt(i);
  // `perf-lens-ignored`, `perf-lens-ignore-file`: another word, not this directive
  if ((next >= 97 && next <= 122) || next === 45 || next === 95 || (next >= 48 && next <= 57)) return null;
  const kinds = new Set<string>();
  while (i < line.length) {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t' || line[i] === ',' || line[i] === ':')) i++;
    const start = i;
    while (i < line.length && /[a-z0-9-]/.test(line[i])) i++;
    const word = line.slice(start, i);
    if (!word || !knownKinds.has(word)) break;
    kinds.add(word);
  }
  return kinds.size > 0 ? kinds : 'all';
}

/**
 * Decides whether a finding is silenced by a comment on its line or the line above. Files are
 * read lazily, at most once each, and only the last few are kept.
 */
export class IgnoreComments {
  private readonly files = new Map<string, string[] | null>();

  constructor(
    private readonly knownKinds: ReadonlySet<string>,
    private readonly read: SourceReader = readSourceFromDisk,
  ) {}

  isIgnored(finding: Finding): boolean {
    const loc = finding.location;
    if (!loc || !loc.file) return false;
    const lines = this.lines(loc.file);
    if (!lines) return false;
    for (const n of [loc.line, loc.line - 1]) {
      if (n < 1 || n > lines.length) continue;
      const kinds = ignoredKinds(lines[n - 1], this.knownKinds);
      if (kinds === 'all' || (kinds && kinds.has(finding.kind))) return true;
    }
    return false;
  }

  private lines(file: string): string[] | null {
    if (this.files.has(file)) return this.files.get(file) ?? null;
    let text: string | undefined;
    try {
      text = this.read(file);
    } catch {
      text = undefined;
    }
    const lines = typeof text === 'string' ? text.split('\n') : null;
    if (this.files.size >= MAX_CACHED_FILES) {
      const oldest = this.files.keys().next();
      if (!oldest.done) this.files.delete(oldest.value);
    }
    this.files.set(file, lines);
    return lines;
  }
}
