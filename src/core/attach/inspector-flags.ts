/**
 * What a Node process's command line and NODE_OPTIONS say about its inspector: whether it
 * was started with one, on which host and port SIGUSR1 would open it, and whether SIGUSR1 is
 * disabled. Mirrors Node's own rules: default 127.0.0.1:9229, the last flag wins.
 */
export interface InspectorFlags {
  host: string;
  /** 0 means "a free port chosen by the OS" */
  port: number;
  /** started with --inspect, --inspect-brk or --inspect-wait */
  enabledAtStart: boolean;
  /** started with --disable-sigusr1 */
  sigusr1Disabled: boolean;
  /** false when --inspect-publish-uid leaves out http: /json/list is not served */
  publishesHttp: boolean;
  /** the flag the host/port came from, for messages (`--inspect=0.0.0.0:9229`) */
  source?: string;
}

export const DEFAULT_INSPECTOR_HOST = '127.0.0.1';
export const DEFAULT_INSPECTOR_PORT = 9229;

/** Node options that take their value as the next argument when written without `=`. */
const TAKES_VALUE = new Set([
  '-r', '--require', '--import', '--loader', '--experimental-loader', '-e', '--eval', '-p', '--print',
  '--inspect-port', '--debug-port', '--title', '-C', '--conditions', '--input-type', '--env-file',
  '--inspect-publish-uid', '--stack-size', '--max-old-space-size', '--watch-path',
  // Every other option Node accepts as `--name value` (node --help): missing one would end the
  // scan at its value and miss an `--inspect-port=0.0.0.0` after it.
  '--allow-fs-read', '--allow-fs-write', '--build-snapshot-config', '--cpu-prof-dir', '--cpu-prof-interval',
  '--cpu-prof-name', '--diagnostic-dir', '--disable-proto', '--disable-warning', '--dns-result-order',
  '--env-file-if-exists', '--experimental-default-type', '--experimental-policy', '--experimental-sea-config',
  '--heap-prof-dir', '--heap-prof-interval', '--heap-prof-name', '--heapsnapshot-near-heap-limit',
  '--heapsnapshot-signal', '--icu-data-dir', '--max-http-header-size',
  '--network-family-autoselection-attempt-timeout', '--openssl-config', '--policy-integrity',
  '--redirect-warnings', '--report-directory', '--report-dir', '--report-filename', '--report-signal',
  '--secure-heap', '--secure-heap-min', '--snapshot-blob', '--test-concurrency', '--test-name-pattern',
  '--test-reporter', '--test-reporter-destination', '--test-shard', '--test-timeout', '--tls-cipher-list',
  '--tls-keylog', '--trace-event-categories', '--trace-event-file-pattern', '--trace-require-module',
  '--unhandled-rejections', '--use-largepages', '--v8-pool-size', '--max-semi-space-size', '--localstorage-file',
  '--experimental-config-file', '--watch-kill-signal', '--test-isolation', '--test-coverage-include',
  '--test-coverage-exclude', '--test-global-setup',
]);

/** The options Node itself reads from argv: everything before the script (or -e code). */
export function nodeOptionsOf(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--' || !arg.startsWith('-') || arg === '-') break;
    out.push(arg);
    const name = arg.split('=')[0];
    if (!arg.includes('=') && TAKES_VALUE.has(name) && i + 1 < argv.length) {
      out.push(argv[++i]);
      if (name === '-e' || name === '--eval' || name === '-p' || name === '--print') break;
    }
  }
  return out;
}

/** NODE_OPTIONS is split on spaces, with double quotes and backslash escapes honoured. */
export function splitNodeOptions(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let has = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && quoted && i + 1 < value.length) {
      cur += value[++i];
    } else if (c === '"') {
      quoted = !quoted;
      has = true;
    } else if (/\s/.test(c) && !quoted) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

/** `9230`, `0.0.0.0`, `host:9230`, `[::1]:9230` → host and/or port, as Node parses them. */
export function parseHostPort(value: string): { host?: string; port?: number } {
  if (/^\d+$/.test(value)) return { port: Number(value) };
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracket) return { host: bracket[1], port: bracket[2] === undefined ? undefined : Number(bracket[2]) };
  const colon = value.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(value.slice(colon + 1)) && value.indexOf(':') === colon) {
    return { host: value.slice(0, colon), port: Number(value.slice(colon + 1)) };
  }
  return { host: value };
}

/** Reads the inspector flags from Node's own options (argv first, then NODE_OPTIONS, as Node does). */
export function inspectorFlags(argv: string[], nodeOptionsEnv?: string): InspectorFlags {
  const flags: InspectorFlags = {
    host: DEFAULT_INSPECTOR_HOST,
    port: DEFAULT_INSPECTOR_PORT,
    enabledAtStart: false,
    sigusr1Disabled: false,
    publishesHttp: true,
  };
  // NODE_OPTIONS is applied before the command line, so the command line wins.
  const options = [...(nodeOptionsEnv ? splitNodeOptions(nodeOptionsEnv) : []), ...nodeOptionsOf(argv)];
  for (let i = 0; i < options.length; i++) {
    const arg = options[i];
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    let value = eq === -1 ? undefined : arg.slice(eq + 1);
    if (name === '--inspect' || name === '--inspect-brk' || name === '--inspect-wait') {
      flags.enabledAtStart = true;
    } else if (name === '--inspect-port' || name === '--debug-port') {
      if (value === undefined && i + 1 < options.length) value = options[++i];
    } else if (name === '--disable-sigusr1') {
      flags.sigusr1Disabled = true;
      continue;
    } else if (name === '--inspect-publish-uid') {
      if (value === undefined && i + 1 < options.length) value = options[++i];
      flags.publishesHttp = (value ?? '').split(',').map((s) => s.trim()).includes('http');
      continue;
    } else {
      continue;
    }
    if (value !== undefined && value !== '') {
      const hp = parseHostPort(value);
      if (hp.host !== undefined) flags.host = hp.host;
      if (hp.port !== undefined) flags.port = hp.port;
      flags.source = `${name}=${value}`;
    } else if (!flags.source) {
      flags.source = name;
    }
  }
  return flags;
}

/** Hosts an inspector may be enabled on: only this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}
