import type { MetricFamily, MetricLabels, MetricsSnapshot } from './metrics-snapshot';

/**
 * A MetricsSnapshot as text a Prometheus server scrapes: the text exposition format 0.0.4, or
 * OpenMetrics 1.0 when the scraper asks for it (Prometheus 2.x does by default). Pure.
 */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/**
 * The format an Accept header asks for: OpenMetrics when it lists application/openmetrics-text
 * with a weight at least that of text/plain, else the 0.0.4 text format (which every scraper reads).
 */
export function formatForAccept(accept: string | undefined): ExpositionFormat {
  if (!accept) return 'prometheus';
  let open = -1;
  let text = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    let q = 1;
    for (const p of params) if (p.startsWith('q=')) q = Number(p.slice(2));
    if (!Number.isFinite(q) || q <= 0) continue;
    if (type === 'application/openmetrics-text') open = Math.max(open, q);
    else if (type === 'text/plain' || type === '*/*' || type === 'text/*') text = Math.max(text, q);
  }
  return open > 0 && open >= text ? 'openmetrics' : 'prometheus';
}

/** A label value inside double quotes: backslash, double quote and line feed escaped (both formats). */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** HELP text: 0.0.4 escapes backslash and line feed; OpenMetrics also the double quote. */
function escapeHelp(help: string, format: ExpositionFormat): string {
  const re = format === 'openmetrics' ? /[\\"\n]/g : /[\\\n]/g;
  return help.replace(re, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** A valid label name from any attribute key (`service.version` → `service_version`). */
export function sanitizeLabelName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s || '_';
}

/** Go's float syntax, which both formats take: `+Inf`, `-Inf`, `NaN`, `0.005`, `1e-7`. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

interface LabelText {
  /** `{a="x",b="y"}`, or '' without labels */
  closed: string;
  /** `{a="x",b="y",` (or `{`): a bucket line appends `le="…"}` */
  open: string;
}

/**
 * Label sets rendered once per label object: FleetMetrics hands out the same objects scrape
 * after scrape, so a scrape mostly joins cached strings (a second's scrape costs the CLI ~1 ms).
 */
const labelTexts = new WeakMap<MetricLabels, LabelText>();

function labelText(labels: MetricLabels): LabelText {
  let t = labelTexts.get(labels);
  if (t) return t;
  const parts: string[] = [];
  for (const name in labels) parts.push(`${name}="${escapeLabelValue(labels[name])}"`);
  t = parts.length ? { closed: `{${parts.join(',')}}`, open: `{${parts.join(',')},` } : { closed: '', open: '{' };
  labelTexts.set(labels, t);
  return t;
}

/** OpenMetrics UNIT, which must be the name's suffix: only for the base units our names carry. */
function unitOf(name: string): string | null {
  if (name.endsWith('_seconds')) return 'seconds';
  if (name.endsWith('_bytes')) return 'bytes';
  return null;
}

function renderFamily(f: MetricFamily, format: ExpositionFormat, out: string[]): void {
  const om = format === 'openmetrics';
  // An OpenMetrics counter's family is named without `_total`, its samples with it; 0.0.4 names both with it.
  const sample = f.type === 'counter' ? `${f.name}_total` : f.name;
  // A gauge named `*_info` (always 1) is an OpenMetrics info metric, whose family drops the suffix.
  const isInfo = om && f.type === 'gauge' && f.name.endsWith('_info') && f.points.every((p) => p.value === 1);
  const family = om ? (isInfo ? f.name.slice(0, -'_info'.length) : f.name) : sample;
  out.push(`# HELP ${family} ${escapeHelp(f.help, format)}`);
  out.push(`# TYPE ${family} ${isInfo ? 'info' : f.type}`);
  const unit = om ? unitOf(f.name) : null;
  if (unit) out.push(`# UNIT ${family} ${unit}`);
  if (f.type !== 'histogram') {
    for (const p of f.points) out.push(`${sample}${labelText(p.labels).closed} ${formatValue(p.value)}`);
    return;
  }
  const les = f.bounds.map((b) => `le="${formatValue(b)}"} `);
  const bucket = `${f.name}_bucket`;
  for (const p of f.points) {
    const l = labelText(p.labels);
    let cumulative = 0;
    for (let i = 0; i < f.bounds.length; i++) {
      cumulative += p.counts[i] ?? 0;
      out.push(`${bucket}${l.open}${les[i]}${formatValue(cumulative)}`);
    }
    out.push(`${bucket}${l.open}le="+Inf"} ${formatValue(p.count)}`);
    out.push(`${f.name}_sum${l.closed} ${formatValue(p.sum)}`);
    out.push(`${f.name}_count${l.closed} ${formatValue(p.count)}`);
  }
}

/**
 * `target_info`, as OpenTelemetry maps a resource to Prometheus: the extra resource attributes
 * (OTEL_RESOURCE_ATTRIBUTES) as labels of one series, so they are not repeated on every point.
 */
function targetInfo(snapshot: MetricsSnapshot, format: ExpositionFormat, out: string[]): void {
  const attrs = Object.entries(snapshot.resource.attributes);
  if (attrs.length === 0) return;
  const labels: Record<string, string> = { service: snapshot.resource.service, instance: snapshot.resource.instance };
  for (const [k, v] of attrs) {
    const name = sanitizeLabelName(k);
    if (!(name in labels)) labels[name] = v;
  }
  const om = format === 'openmetrics';
  const family = om ? 'target' : 'target_info';
  out.push(`# HELP ${family} Target metadata: the OpenTelemetry resource attributes.`);
  out.push(`# TYPE ${family} ${om ? 'info' : 'gauge'}`);
  out.push(`target_info${labelText(labels).closed} 1`);
}

/** The exposition text of a snapshot, ending with a line feed (and `# EOF` in OpenMetrics). */
export function renderMetricsText(snapshot: MetricsSnapshot, format: ExpositionFormat = 'prometheus'): string {
  const out: string[] = [];
  targetInfo(snapshot, format, out);
  for (const f of snapshot.families) renderFamily(f, format, out);
  if (format === 'openmetrics') out.push('# EOF');
  return out.length ? out.join('\n') + '\n' : '';
}
