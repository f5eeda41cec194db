import { endOffset, offsetOf, scan, type Scan } from '../leaks/js-scan';
import type { SourceReader } from '../util/source-text';

/**
 * `code.function` of a finding: the innermost *named* function around its line in the source
 * the developer edits. An arrow passed to `.map()` or a `for` callback has no name of its own,
 * so the function that holds it (`ordersWithCustomers`) names the place, as a stack trace
 * would read to a person. Null at the top level of a module or when the source is unreadable.
 */
export function enclosingFunctionName(s: Scan, line: number, column: number): string | null {
  const at = offsetOf(s, line, column);
  let best: { first: number; name: string } | null = null;
  for (const f of s.functions) {
    if (!f.name || s.tokens[f.first].start > at || endOffset(s, f) < at) continue;
    if (!best || f.first > best.first) best = { first: f.first, name: f.name };
  }
  return best?.name ?? null;
}

/** Scans kept at once: a run's findings sit in a handful of files. */
const MAX_SCANS = 16;

/**
 * Names the function around finding locations, reading each file once (a small LRU of
 * scans, so a long run's memory stays bounded).
 */
export class CodeFunctionNames {
  private readonly scans = new Map<string, Scan | null>();

  constructor(private readonly readSource: SourceReader) {}

  at(location: { file: string; line: number; column: number } | null): string | null {
    if (!location) return null;
    let s = this.scans.get(location.file);
    if (s === undefined) {
      const text = this.readSource(location.file);
      try {
        s = text === undefined ? null : scan(text);
      } catch {
        s = null; // not JavaScript we can read: the record goes without code.function
      }
      if (this.scans.size >= MAX_SCANS) this.scans.delete(this.scans.keys().next().value as string);
    } else this.scans.delete(location.file);
    this.scans.set(location.file, s);
    return s ? enclosingFunctionName(s, location.line, location.column) : null;
  }
}
