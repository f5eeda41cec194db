import type { Finding, Severity } from '../findings/finding';
import { writeAttribute, writeResource, writeScope, writeStringValue, type AttributeValue, type OtlpResource, type OtlpScope } from './otlp-common';
import { epochNanos, ProtoWriter } from './otlp-protobuf';

/**
 * Findings as an OTLP ExportLogsServiceRequest
 * (opentelemetry/proto/collector/logs/v1/logs_service.proto), protobuf bytes: one log record
 * per finding, when it first appeared.
 *  - severity: error → ERROR (17), warning → WARN (13), info → INFO (9); body: the message;
 *    event_name `perf_lens.finding`.
 *  - `code.filepath` (absolute), `code.lineno`, `code.column`, `code.function` (the function
 *    around the line, when the source tells) — the names the issue and the older semantic
 *    conventions use; a finding with no line (heap growth) has none of them.
 *  - `process.pid` (int), `perf_lens.finding.id`, `.kind`, `.severity`, `.related` (JSON of
 *    the related places, when any).
 *  - each `data` field as `perf_lens.finding.data.<key>`: strings, booleans, whole numbers as
 *    int, others as double; arrays and objects as their JSON text (a string: most log backends
 *    index strings, few index nested lists); null left out.
 *  - strings are cut at MAX_ATTRIBUTE_CHARS characters (a hostile SQL text can be huge).
 */

export interface FindingLogRecord {
  /** when the finding first appeared (epoch ms) */
  timeMs: number;
  finding: Finding;
  /** the named function around the finding's line, when the source tells */
  codeFunction?: string | null;
}

export const MAX_ATTRIBUTE_CHARS = 8192;

const SEVERITY: Record<Severity, { number: number; text: string }> = {
  error: { number: 17, text: 'ERROR' },
  warning: { number: 13, text: 'WARN' },
  info: { number: 9, text: 'INFO' },
};

const cut = (s: string): string => (s.length > MAX_ATTRIBUTE_CHARS ? `${s.slice(0, MAX_ATTRIBUTE_CHARS - 1)}…` : s);

/** a data field as an attribute value, or undefined to leave it out */
function attributeValue(v: unknown): AttributeValue | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return cut(v);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  try {
    const json = JSON.stringify(v);
    return json === undefined ? undefined : cut(json);
  } catch {
    return undefined; // a cycle: nothing a reader could use
  }
}

/** The attributes of one finding's log record, in the order they are written. */
export function findingAttributes(record: FindingLogRecord): Array<[string, AttributeValue]> {
  const f = record.finding;
  const out: Array<[string, AttributeValue]> = [];
  if (f.location) {
    out.push(['code.filepath', f.location.file], ['code.lineno', f.location.line], ['code.column', f.location.column]);
    if (record.codeFunction) out.push(['code.function', record.codeFunction]);
  }
  out.push(['process.pid', f.pid], ['perf_lens.finding.id', f.id], ['perf_lens.finding.kind', f.kind], ['perf_lens.finding.severity', f.severity]);
  if (f.related.length) out.push(['perf_lens.finding.related', cut(JSON.stringify(f.related))]);
  for (const [key, v] of Object.entries(f.data)) {
    const value = attributeValue(v);
    if (value !== undefined) out.push([`perf_lens.finding.data.${key}`, value]);
  }
  return out;
}

function writeLogRecord(w: ProtoWriter, record: FindingLogRecord): void {
  const f = record.finding;
  const time = epochNanos(record.timeMs);
  const severity = SEVERITY[f.severity] ?? SEVERITY.info;
  w.begin(2); // ScopeLogs.log_records
  w.fixed64Bytes(1, time);
  w.uint(2, severity.number);
  w.string(3, severity.text);
  writeStringValue(w, 5, f.message);
  for (const [key, value] of findingAttributes(record)) writeAttribute(w, 6, key, value);
  w.fixed64Bytes(11, time); // observed_time_unix_nano: seen when found
  w.string(12, 'perf_lens.finding');
  w.end();
}

export function encodeLogsRequest(records: readonly FindingLogRecord[], resource: OtlpResource, scope: OtlpScope): Buffer {
  const w = new ProtoWriter(4096 + records.length * 1024);
  w.begin(1); // ResourceLogs
  writeResource(w, 1, resource);
  w.begin(2); // ScopeLogs
  writeScope(w, 1, scope);
  for (const r of records) writeLogRecord(w, r);
  w.end();
  w.end();
  return w.finish();
}
