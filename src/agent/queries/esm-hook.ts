/**
 * ES modules do not pass through `Module._load`, so the CommonJS module watcher never sees the
 * ESM builds of Hono, drizzle or Prisma's runtime. On Node ≥ 20.6 a module-customization hook
 * (`module.register`) runs in a loader thread and can change a module's source as it loads:
 * for the few files named here it appends a self-import and a call that hands the module's
 * namespace to the agent at the end of the module's evaluation, before the app can use it,
 * and, for exports that must be replaced (Prisma's `getPrismaClient`, a function whose export
 * is a live binding), a reassignment of the local binding through the agent's wrapper. Other
 * modules pass through untouched.
 *
 * The loader thread costs the process about 13 MB (measured on Node 20), so the hook is
 * registered only when the app's main module is an ES module (`.mjs`, `.mts`, or `.js`/`.ts`
 * under `"type": "module"`) or ESM loaders are preloaded (`--import`, `--loader`).
 * Limit: modules loaded before the hook is registered (an agent attached late) are not seen,
 * nor ESM builds imported by a CommonJS main module.
 */

const NAMESPACE = 'perf-lens.esm-module';
const WRAP = 'perf-lens.esm-wrap';

export interface EsmTarget {
  /** tested against the module's file: URL */
  url: RegExp;
  /** gets the module's namespace object (its exports) */
  patch?: (namespace: Record<string, unknown>) => void;
  /** exports whose value is replaced by what `wrap` returns (name → wrapper) */
  wrap?: Record<string, (value: unknown) => unknown>;
}

/** The loader's source, for targets given as `{ pattern, wraps }` (regex sources, export names). */
function loaderSource(config: Array<{ pattern: string; wraps: string[] }>): string {
  return `
const targets = ${JSON.stringify(config)}.map((t) => ({ pattern: new RegExp(t.pattern), wraps: t.wraps }));
const handOver = (url) => '\\nimport * as __perfLensSelf from ' + JSON.stringify(url) + ';\\n' +
  'globalThis[Symbol.for(${JSON.stringify(NAMESPACE)})]?.(import.meta.url, __perfLensSelf);\\n';
function rewrap(source, name) {
  const m = new RegExp('([\\\\w$]+) as ' + name + '\\\\b').exec(source.slice(source.lastIndexOf('export')));
  if (!m || !new RegExp('function\\\\s+' + m[1].replace(/[$]/g, '\\\\$&') + '\\\\s*\\\\(').test(source)) return '';
  return '\\n' + m[1] + ' = globalThis[Symbol.for(${JSON.stringify(WRAP)})]?.(' + JSON.stringify(name) + ', ' + m[1] + ') ?? ' + m[1] + ';\\n';
}
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (result.format !== 'module' || result.source == null) return result;
  const target = targets.find((t) => t.pattern.test(url));
  if (!target) return result;
  const source = typeof result.source === 'string' ? result.source : new TextDecoder().decode(result.source);
  return { ...result, source: source + target.wraps.map((name) => rewrap(source, name)).join('') + handOver(url) };
}
`;
}

/** Whether this process runs an ES module as its main module (or preloads ESM loaders). */
export function mainIsEsm(argv: readonly string[] = process.argv, execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => a === '--import' || a.startsWith('--import=') || a.startsWith('--loader') || a.startsWith('--experimental-loader'))) return true;
  const main = argv[1];
  if (typeof main !== 'string' || main === '') return false;
  if (/\.m[jt]s$/.test(main)) return true;
  if (/\.c[jt]s$/.test(main)) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require('node:path') as typeof import('node:path');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  let dir = path.dirname(path.resolve(main));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      try {
        return (JSON.parse(fs.readFileSync(file, 'utf8')) as { type?: unknown }).type === 'module';
      } catch {
        return false;
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return false;
    dir = up;
  }
}

/** Registers the hook once per process (for ESM apps only). Never throws. */
export function installEsmHook(targets: EsmTarget[]): void {
  try {
    if (!mainIsEsm()) return;
    const g = globalThis as Record<symbol, unknown>;
    const key = Symbol.for(NAMESPACE);
    if (g[key] !== undefined) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const register = (require('node:module') as { register?: (specifier: string, parentURL?: string) => void }).register;
    if (typeof register !== 'function') return;
    const seen = new Set<string>();
    g[key] = (url: unknown, namespace: unknown) => {
      try {
        if (typeof url !== 'string' || seen.has(url) || namespace === null || typeof namespace !== 'object') return;
        seen.add(url);
        for (const t of targets) if (t.patch && t.url.test(url)) t.patch(namespace as Record<string, unknown>);
      } catch {
        /* never into the app */
      }
    };
    const wrappers = new Map<string, (value: unknown) => unknown>();
    for (const t of targets) for (const [name, wrap] of Object.entries(t.wrap ?? {})) wrappers.set(name, wrap);
    g[Symbol.for(WRAP)] = (name: unknown, value: unknown) => {
      try {
        const wrap = typeof name === 'string' ? wrappers.get(name) : undefined;
        return wrap === undefined ? value : wrap(value);
      } catch {
        return value;
      }
    };
    register(`data:text/javascript,${encodeURIComponent(loaderSource(targets.map((t) => ({ pattern: t.url.source, wraps: Object.keys(t.wrap ?? {}) }))))}`);
  } catch {
    /* no hook: ESM builds stay unseen */
  }
}
