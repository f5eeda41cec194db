/**
 * ES modules do not pass through `Module._load`, so the CommonJS module watcher never sees the
 * ESM builds of Hono, drizzle and the like. On Node ≥ 20.6 a module-customization hook
 * (`module.register`) runs in a loader thread and can change a module's source as it loads:
 * for the few files named here it appends a self-import and a call that hands the module's
 * namespace to the agent, at the end of the module's evaluation, before the app can use it.
 * Nothing else about loading changes: other modules pass through untouched.
 *
 * The loader thread costs the process about 13 MB (measured on Node 20), so the hook is
 * registered only when the app's main module is an ES module (`.mjs`, `.mts`, or `.js`/`.ts`
 * under `"type": "module"`) or ESM loaders are preloaded (`--import`, `--loader`).
 * Limit: modules loaded before the hook is registered (an agent attached late) are not seen,
 * nor ESM builds imported by a CommonJS main module.
 */

const CALLBACK = 'perf-lens.esm-module';

export interface EsmTarget {
  /** tested against the module's file: URL */
  url: RegExp;
  /** gets the module's namespace object (its exports) */
  patch: (namespace: Record<string, unknown>) => void;
}

/** The loader's source: `load` appends the hand-over to modules whose URL matches `pattern`. */
function loaderSource(pattern: RegExp): string {
  return `
const pattern = new RegExp(${JSON.stringify(pattern.source)});
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (result.format !== 'module' || !pattern.test(url) || result.source == null) return result;
  const source = typeof result.source === 'string' ? result.source : new TextDecoder().decode(result.source);
  const handOver = '\\nimport * as __perfLensSelf from ' + JSON.stringify(url) + ';\\n' +
    'globalThis[Symbol.for(${JSON.stringify(CALLBACK)})]?.(import.meta.url, __perfLensSelf);\\n';
  return { ...result, source: source + handOver };
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
    const key = Symbol.for(CALLBACK);
    if (g[key] !== undefined) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const register = (require('node:module') as { register?: (specifier: string, parentURL?: string) => void }).register;
    if (typeof register !== 'function') return;
    const seen = new Set<string>();
    g[key] = (url: unknown, namespace: unknown) => {
      try {
        if (typeof url !== 'string' || seen.has(url) || namespace === null || typeof namespace !== 'object') return;
        seen.add(url);
        for (const t of targets) if (t.url.test(url)) t.patch(namespace as Record<string, unknown>);
      } catch {
        /* never into the app */
      }
    };
    const pattern = new RegExp(targets.map((t) => `(?:${t.url.source})`).join('|'));
    register(`data:text/javascript,${encodeURIComponent(loaderSource(pattern))}`);
  } catch {
    /* no hook: ESM builds stay unseen */
  }
}
