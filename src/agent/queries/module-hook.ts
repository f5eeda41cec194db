import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Finds driver modules as they load. CommonJS `require` and ESM `import` of a CommonJS
 * package both pass through `Module._load` (measured on Node 20.20, 22.23 and 24.21:
 * `import pg from 'pg'` loads `/abs/node_modules/pg/lib/index.js` through it), so one hook
 * covers both without loader hooks. After a load whose request names a driver, the module
 * cache is scanned for the files that define the prototypes to patch; modules loaded before
 * the agent (attach) are found by the same scan at install time.
 * Limit (measured on 20/22/24): an ESM customization hook (`module.register`) whose `load`
 * returns the *source* of CommonJS files makes Node compile them without `Module._load`, and
 * nothing is patched. tsx 4.23 does not (it leaves CommonJS to `require`): its apps work.
 */

type Patcher = (exports: unknown, filename: string) => void;

export interface Target {
  file: RegExp;
  patch: Patcher;
}

/**
 * A module whose exports are frozen getters: once compiled, its `module.exports` becomes what
 * `transform` returns, before `require` returns it and before an importing ES module takes its
 * snapshot of it (Node 20.19+ snapshots the exports right after the compile).
 */
export interface ExportsTransform {
  file: RegExp;
  transform: (exports: unknown) => unknown;
}

/** Requests worth a scan: the drivers' package names, bare or as a path. */
const DRIVER_REQUEST =
  /(?:^|[\\/])(?:pg|pg-pool|mysql2|mariadb|better-sqlite3|ioredis\d*|redis\d*|@redis[\\/]client|drizzle-orm|knex|bookshelf|objection|sequelize|typeorm[\w.-]*|bluebird|koa|hono|@prisma[\\/]client)(?:[\\/]|$)/;
const HOOKED = Symbol.for('perf-lens.queries.module-hook');

interface ModuleStatics {
  _load: (request: string, parent: unknown, isMain: boolean) => unknown;
  _cache: Record<string, { exports?: unknown; loaded?: boolean } | undefined>;
}

export class ModuleWatcher {
  private readonly done = new Set<string>();
  private readonly Module: ModuleStatics;

  constructor(
    private readonly targets: Target[],
    private readonly transforms: ExportsTransform[] = [],
  ) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.Module = require('node:module') as unknown as ModuleStatics;
  }

  /** Hooks `Module._load` (once per process) and patches what is loaded already. */
  install(): void {
    const Module = this.Module;
    const g = globalThis as Record<symbol, unknown>;
    if (!g[HOOKED]) {
      g[HOOKED] = true;
      const original = Module._load;
      const scan = () => this.scan();
      Module._load = function (this: unknown, request: string) {
        const exports = original.apply(this, arguments as unknown as [string, unknown, boolean]);
        try {
          if (typeof request === 'string' && DRIVER_REQUEST.test(request)) scan();
        } catch {
          /* never into the app */
        }
        return exports;
      };
      // `_compile` is where every loader (Node's own, tsx's, ts-node's) runs a CommonJS file
      const transforms = this.transforms;
      const proto = (Module as unknown as { prototype?: { _compile?: unknown } }).prototype;
      const compile = proto?._compile;
      if (transforms.length > 0 && proto && typeof compile === 'function') {
        proto._compile = function (this: { exports?: unknown }, _content: string, filename: string) {
          const result = (compile as (...a: unknown[]) => unknown).apply(this, arguments as unknown as unknown[]);
          try {
            for (const t of transforms) if (typeof filename === 'string' && t.file.test(filename)) this.exports = t.transform(this.exports);
          } catch {
            /* never into the app */
          }
          return result;
        };
      }
    }
    this.scan();
  }

  scan(): void {
    const cache = this.Module._cache;
    for (const filename of Object.keys(cache)) {
      if (this.done.has(filename)) continue;
      for (const target of this.targets) {
        if (!target.file.test(filename)) continue;
        const mod = cache[filename];
        // a module still loading (a cycle) has partial exports: wait for the next scan
        if (!mod || mod.loaded === false) continue;
        this.done.add(filename);
        try {
          target.patch(mod.exports, filename);
        } catch {
          /* a driver version we cannot patch stays unpatched */
        }
      }
    }
  }
}

/** True when the mysql2 copy whose base connection is `filename` publishes TracingChannels. */
export function mysql2HasTracing(filename: string): boolean {
  try {
    const lib = path.basename(path.dirname(filename)) === 'base' ? path.dirname(path.dirname(filename)) : path.dirname(filename);
    return fs.existsSync(path.join(lib, 'tracing.js'));
  } catch {
    return false;
  }
}
