import type { DetectorOptions } from '../core';
import { FINDING_KINDS as CORE_FINDING_KINDS } from '../core/findings/finding';
import { walkArgs } from './argv';
import { UsageError } from './usage-error';

export interface OutputOptions {
  json?: string;
  sarif?: string;
  /** self-contained HTML report */
  html?: string;
  /** Markdown summary */
  markdown?: string;
  /** budget file: thresholds on key figures; a breach exits 1 */
  budget?: string;
  root: string;
  failOn: string[];
  detectors: DetectorOptions;
}

export interface RunOptions extends OutputOptions {
  command: string[];
  record?: string;
  load?: string;
  rounds: number;
  /** run the sampling heap profiler from the start (leak sites over time, without --rounds) */
  heapSampling?: boolean;
  /** heap snapshots after the last three rounds, into this folder */
  snapshots?: string;
  durationS?: number;
  /** serve Prometheus / OpenMetrics text at http://HOST:PORT/metrics while the app runs */
  metricsPort?: number;
  /** the address /metrics binds to (default 127.0.0.1; 0.0.0.0 in a container) */
  metricsHost?: string;
  /** the `service` label and OTLP service.name (default: OTEL_SERVICE_NAME, else package.json's name) */
  service?: string;
  /** push metrics and findings over OTLP/HTTP to this endpoint (default: OTEL_EXPORTER_OTLP_ENDPOINT when set) */
  otlp?: string;
  /** seconds between OTLP pushes (default 10) */
  otlpIntervalS?: number;
}

export interface AnalyzeOptions extends OutputOptions {
  recording: string;
}

export type ParsedArgs =
  | { kind: 'run'; options: RunOptions }
  | { kind: 'analyze'; options: AnalyzeOptions }
  | { kind: 'help' }
  | { kind: 'version' };

/** Detector thresholds as flags; each maps to one detector option. */
export const DETECTOR_FLAGS: Record<string, { key: string; kind: 'int' | 'number' }> = {
  '--n-plus-one-min': { key: 'nPlusOneMinCount', kind: 'int' },
  '--n-plus-one-warning-ms': { key: 'nPlusOneWarningMs', kind: 'number' },
  '--n-plus-one-error-ms': { key: 'nPlusOneErrorMs', kind: 'number' },
  '--n-plus-one-error-share': { key: 'nPlusOneErrorShare', kind: 'number' },
  '--slow-query-ms': { key: 'slowQueryMs', kind: 'number' },
  '--duplicate-min': { key: 'duplicateMinCount', kind: 'int' },
  '--pool-wait-ms': { key: 'poolWaitMs', kind: 'number' },
};

export const FINDING_KINDS: readonly string[] = CORE_FINDING_KINDS;

export const USAGE = `Usage:
  perf-lens run [options] -- <command> [args...]
  perf-lens analyze <recording.ndjson> [--json FILE] [--sarif FILE] [--html FILE] [--markdown FILE] [--budget FILE] [detector options]
  perf-lens compare <base.json> <head.json> [--markdown FILE] [--fail-on-regression] [--min-change PCT]
  perf-lens snapshot-diff <baseline> <target> <final> [--json FILE] [--top N]

Options:
  --json FILE          write the JSON report
  --sarif FILE         write SARIF 2.1.0 (locations relative to --root)
  --html FILE          write a self-contained HTML report (charts, key figures, findings with source lines)
  --markdown FILE      write a Markdown summary (key figures, budgets, findings)
  --budget FILE        JSON thresholds on key figures, e.g. {"overall":{"p95Ms":200},"routes":{"GET /posts":{"queriesPerRequest":3}}};
                       a breach prints an alert, adds a SARIF result and exits 1
  --record FILE        write every message received as NDJSON (input of analyze)
  --load "CMD"         once the app listens, run CMD (PERF_LENS_PORT, PERF_LENS_URL_BASE set); stop after it
  --rounds N           run the --load command N times, measuring the heap after a forced GC between rounds
  --no-heap-sampling   do not run V8's sampling heap profiler (on by default: it finds leaks on their
                       lines over time; measured at 2–5 % CPU per request of an HTTP app)
  --snapshots          with --rounds N ≥ 3: heap snapshots after the last three rounds, diffed to name
                       the leaked objects and what retains them (files in perf-lens-snapshots/)
  --snapshot-dir DIR   the same, with the snapshot files in DIR
  --duration S         stop the app after S seconds
  --metrics-port N     serve Prometheus/OpenMetrics text at http://127.0.0.1:N/metrics while the app runs
  --metrics-host ADDR  the address /metrics listens on (default 127.0.0.1; 0.0.0.0 inside a container)
  --service NAME       the service label of exported metrics (default: OTEL_SERVICE_NAME, else package.json's name)
  --otlp URL           push metrics and findings over OTLP/HTTP (protobuf) to URL, e.g. http://collector:4318
                       (default: OTEL_EXPORTER_OTLP_ENDPOINT when set); a final push on exit and on SIGTERM
  --otlp-interval S    seconds between OTLP pushes (default 10)
  --root DIR           project root for relative paths (default: current directory)
  --fail-on KINDS      comma list of finding kinds; exit 1 if any is found
  --n-plus-one-min N   repeats in one scope that make an N+1 (default 5)
  --n-plus-one-warning-ms MS     an N+1 is a warning from this much time in one request, info below (default 50)
  --n-plus-one-error-ms MS       an N+1 is an error from this much time in one request … (default 100)
  --n-plus-one-error-share X     … that is also this share (0–1) of the request's time (default 0.2)
  --slow-query-ms MS   a query at least this long is slow (default 100)
  --pool-wait-ms MS    a route whose queries wait this long (p95) for a pooled connection is reported (default 10)
  --duplicate-min N    identical queries in one scope that make a duplicate (default 3)

compare prints, per route and overall, each key figure's change and a verdict: better or worse only when
the 95 % interval of the change (from the samples: bootstrap, or counts for error rates) lies wholly
beyond the smallest change that matters (--min-change, default 10 %, and a floor per figure); else same.
New and fixed findings are matched by finding id; a regression is a worse figure or a new error/warning finding.

Exit codes: 0 done, 1 --fail-on matched or a budget breached (compare: a regression with --fail-on-regression), 2 bad usage, 3 the app could not be started or no agent connected.`;

function positiveNumber(raw: string, flag: string, integer: boolean): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`The option ${flag} needs a positive ${integer ? 'whole ' : ''}number, not "${raw}".`);
  }
  return n;
}

function portNumber(raw: string, flag: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`The option ${flag} needs a TCP port from 0 to 65535, not "${raw}".`);
  return n;
}

function httpUrl(raw: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`The option ${flag} needs an http:// or https:// URL, not "${raw}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`The option ${flag} needs an http:// or https:// URL, not "${raw}".`);
  return raw;
}

function parseFailOn(raw: string): string[] {
  const kinds = raw.split(',').map((k) => k.trim()).filter(Boolean);
  const unknown = kinds.filter((k) => !FINDING_KINDS.includes(k));
  if (unknown.length) {
    throw new UsageError(`Unknown finding kind "${unknown[0]}" in --fail-on; known kinds: ${FINDING_KINDS.join(', ')}.`);
  }
  return kinds;
}

/** Parses `perf-lens …` arguments (without node and the script). Throws UsageError. */
export function parseArgs(argv: string[], cwd: string): ParsedArgs {
  const sub = argv[0];
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') return { kind: 'help' };
  if (sub === '--version' || sub === '-v' || sub === 'version') return { kind: 'version' };
  if (sub !== 'run' && sub !== 'analyze') throw new UsageError(`Unknown command "${sub}"; use "run", "analyze" or "snapshot-diff".`);

  const out: RunOptions = { command: [], root: cwd, failOn: [], detectors: {}, rounds: 1 };
  const positional: string[] = [];
  let roundsGiven = false;
  let help = false;
  out.command = walkArgs(argv, 1, ({ arg: a, flag, take }) => {
    switch (flag) {
      case '--json': out.json = take(); break;
      case '--sarif': out.sarif = take(); break;
      case '--html': out.html = take(); break;
      case '--markdown': out.markdown = take(); break;
      case '--budget': out.budget = take(); break;
      case '--record': out.record = take(); break;
      case '--load': out.load = take(); break;
      case '--heap-sampling': out.heapSampling = true; break; // the default; kept for old scripts
      case '--no-heap-sampling': out.heapSampling = false; break;
      case '--snapshots': out.snapshots = 'perf-lens-snapshots'; break;
      case '--snapshot-dir': out.snapshots = take(); break;
      case '--rounds': out.rounds = positiveNumber(take(), flag, true); roundsGiven = true; break;
      case '--duration': out.durationS = positiveNumber(take(), flag, false); break;
      case '--metrics-port': out.metricsPort = portNumber(take(), flag); break;
      case '--metrics-host': out.metricsHost = take(); break;
      case '--service': out.service = take(); break;
      case '--otlp': out.otlp = httpUrl(take(), flag); break;
      case '--otlp-interval': out.otlpIntervalS = positiveNumber(take(), flag, false); break;
      case '--root': out.root = take(); break;
      case '--fail-on': out.failOn = parseFailOn(take()); break;
      case '-h':
      case '--help': help = true; return 'stop';
      default: {
        const det = Object.prototype.hasOwnProperty.call(DETECTOR_FLAGS, flag) ? DETECTOR_FLAGS[flag] : undefined;
        if (det) {
          out.detectors[det.key] = positiveNumber(take(), flag, det.kind === 'int');
        } else if (a.startsWith('-')) {
          throw new UsageError(`Unknown option "${flag}"; see "perf-lens --help".`);
        } else {
          positional.push(a);
        }
      }
    }
  });
  if (help) return { kind: 'help' };
  const path = require('node:path') as typeof import('node:path');
  out.root = path.resolve(cwd, out.root);

  if (sub === 'analyze') {
    if (positional.length !== 1) throw new UsageError('analyze needs exactly one recording file.');
    const runOnly: Record<string, string> = { record: 'record', load: 'load', durationS: 'duration', snapshots: 'snapshots', metricsPort: 'metrics-port', metricsHost: 'metrics-host', service: 'service', otlp: 'otlp', otlpIntervalS: 'otlp-interval' };
    for (const [f, name] of Object.entries(runOnly)) {
      if ((out as unknown as Record<string, unknown>)[f] !== undefined) throw new UsageError(`The option --${name} belongs to "run", not "analyze".`);
    }
    if (out.heapSampling !== undefined) throw new UsageError(`The option --${out.heapSampling ? 'heap-sampling' : 'no-heap-sampling'} belongs to "run", not "analyze".`);
    if (roundsGiven) throw new UsageError('The option --rounds belongs to "run", not "analyze".');
    if (out.command.length) throw new UsageError('analyze takes no command after "--".');
    const { command: _c, record: _r, load: _l, rounds: _n, durationS: _d, snapshots: _s, heapSampling: _h, metricsPort: _mp, metricsHost: _mh, service: _sv, otlp: _o, otlpIntervalS: _oi, ...rest } = out;
    return { kind: 'analyze', options: { ...rest, recording: path.resolve(cwd, positional[0]) } };
  }
  if (positional.length) throw new UsageError(`Unexpected argument "${positional[0]}"; put the app's command after "--".`);
  if (out.command.length === 0) throw new UsageError('run needs the command to profile after "--", for example: perf-lens run -- node app.js.');
  if (roundsGiven && !out.load) throw new UsageError('The option --rounds needs --load.');
  if (out.metricsHost !== undefined && out.metricsPort === undefined) throw new UsageError('The option --metrics-host needs --metrics-port.');
  const otlpFromEnv = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'].some((k) => process.env[k]);
  if (out.otlpIntervalS !== undefined && out.otlp === undefined && !otlpFromEnv) throw new UsageError('The option --otlp-interval needs --otlp (or OTEL_EXPORTER_OTLP_ENDPOINT).');
  if (out.snapshots !== undefined) {
    if (!out.load || out.rounds < 3) throw new UsageError('The option --snapshots needs --load and --rounds 3 or more.');
    out.snapshots = path.resolve(cwd, out.snapshots);
  }
  return { kind: 'run', options: out };
}
