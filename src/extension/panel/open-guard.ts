import type { SourceLocation } from '../../protocol';
import type { Finding } from '../../core/findings/finding';

/**
 * The webview may ask to open a file, but it only ever shows what the session reported, so
 * an 'open' request is honoured only for a location of a current finding (its own location or
 * a related one), matched exactly on file and line. Anything else — a stale finding, a path
 * the page made up — is refused. The location returned is the finding's, not the request's.
 */
export function resolveOpenRequest(request: unknown, findings: readonly Finding[]): SourceLocation | null {
  if (!request || typeof request !== 'object') return null;
  const { file, line } = request as { file?: unknown; line?: unknown };
  if (typeof file !== 'string' || !Number.isInteger(line)) return null;
  for (const finding of findings) {
    const locations = [finding.location, ...(finding.related ?? []).map((r) => r.location)];
    for (const loc of locations) if (loc && loc.file === file && loc.line === line) return loc;
  }
  return null;
}
