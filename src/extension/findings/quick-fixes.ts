import type { Finding } from '../../core/findings/finding';
import { indentation } from './finding-diagnostics';
import { QUERY_KINDS } from './format';

/** Files whose comments are `//`: the ignore comment is offered only there. */
const SLASH_COMMENT_FILE = /\.(?:[cm]?[jt]s|[jt]sx)$/i;

export interface TextInsert {
  /** 0-based line to insert before */
  line: number;
  character: 0;
  text: string;
}

/**
 * *Ignore here*: `// perf-lens-ignore <kind>` on its own line above the finding's line, with
 * that line's indentation (the detectors honour a directive on the line or the one above).
 * Null for files whose comments are not `//`.
 */
export function ignoreCommentInsert(f: Finding, lineText: string | undefined): TextInsert | null {
  if (!f.location || !SLASH_COMMENT_FILE.test(f.location.file)) return null;
  return { line: f.location.line - 1, character: 0, text: `${indentation(lineText ?? '')}// perf-lens-ignore ${f.kind}\n` };
}

/** *Copy fix*: the finding's advice in the words of what the app uses (`withRelated`, `= ANY($1)`), or null. */
export function fixText(f: Finding): string | null {
  return typeof f.data.fix === 'string' && f.data.fix ? f.data.fix : null;
}

/** *Copy query*: the SQL a query finding is about, or null. */
export function queryText(f: Finding): string | null {
  return QUERY_KINDS.has(f.kind) && typeof f.data.sample === 'string' && f.data.sample ? f.data.sample : null;
}
