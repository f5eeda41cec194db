import type { Finding } from '../../core/findings/finding';

/**
 * Findings → diagnostics as plain objects (0-based lines and characters, like vscode.Range),
 * so the mapping is tested in plain Node; diagnostics.ts turns them into vscode objects.
 */

export type DiagnosticLevel = 'error' | 'warning' | 'information';

export interface RelatedSpec {
  message: string;
  file: string;
  /** 0-based */
  line: number;
  /** 0-based */
  character: number;
}

export interface DiagnosticSpec {
  /** `pid:id`, the finding's key while live */
  key: string;
  file: string;
  /** 0-based line of the finding */
  line: number;
  startCharacter: number;
  endCharacter: number;
  message: string;
  severity: DiagnosticLevel;
  source: 'perf-lens';
  /** the finding's kind, e.g. `n-plus-one` */
  code: string;
  related: RelatedSpec[];
}

/** Reads one line (1-based) of a file as the editor has it; undefined when it cannot. */
export type LineReader = (file: string, line: number) => string | undefined;

export const DIAGNOSTIC_SOURCE = 'perf-lens';

const LEVELS: Record<Finding['severity'], DiagnosticLevel> = { error: 'error', warning: 'warning', info: 'information' };

/**
 * Where the code of a line ends: before a trailing `//` comment and trailing blanks. Quotes
 * are followed so `'http://…'` is not a comment; a line that is only a comment keeps its text.
 */
export function codeEnd(line: string): number {
  let quote: string | null = null;
  let cut = line.length;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
    } else if (c === '/' && line[i + 1] === '/') {
      cut = i;
      break;
    }
  }
  const code = line.slice(0, cut).trimEnd();
  return code.trim() ? code.length : line.trimEnd().length;
}

/** Leading blanks of a line. */
export function indentation(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

/** The diagnostic of one finding, or null when it has no source line. */
export function findingToDiagnostic(f: Finding, readLine: LineReader): DiagnosticSpec | null {
  const loc = f.location;
  if (!loc || !loc.file || !(loc.line >= 1)) return null;
  const line = loc.line - 1;
  const text = readLine(loc.file, loc.line);
  let start = Math.max(0, (loc.column || 1) - 1);
  let end = start;
  if (text !== undefined) {
    end = codeEnd(text);
    // A column past the code (or a stale one) underlines the whole statement instead.
    if (start >= end) start = Math.min(indentation(text).length, end);
  }
  return {
    key: `${f.pid}:${f.id}`,
    file: loc.file,
    line,
    startCharacter: start,
    endCharacter: end,
    message: f.message,
    severity: LEVELS[f.severity] ?? 'warning',
    source: DIAGNOSTIC_SOURCE,
    code: f.kind,
    related: f.related.map((r) => ({
      message: r.message,
      // Related information without a place of its own (a query issued outside application
      // code) is still worth reading: it points at the finding's own line.
      file: r.location?.file ?? loc.file,
      line: Math.max(0, (r.location?.line ?? loc.line) - 1),
      character: Math.max(0, (r.location?.column ?? loc.column ?? 1) - 1),
    })),
  };
}

/** Every finding with a location, grouped by file (one DiagnosticCollection.set per file). */
export function diagnosticsByFile(findings: readonly Finding[], readLine: LineReader): Map<string, DiagnosticSpec[]> {
  const out = new Map<string, DiagnosticSpec[]>();
  for (const f of findings) {
    const d = findingToDiagnostic(f, readLine);
    if (!d) continue;
    const list = out.get(d.file);
    if (list) list.push(d);
    else out.set(d.file, [d]);
  }
  return out;
}

/** The diagnostics of a file that cover a position (0-based), for the hover and the quick fixes. */
export function diagnosticsAt(specs: readonly DiagnosticSpec[], line: number, character?: number): DiagnosticSpec[] {
  return specs.filter(
    (d) =>
      d.line === line &&
      (character === undefined || d.endCharacter <= d.startCharacter || (character >= d.startCharacter && character <= d.endCharacter)),
  );
}
