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

/** A module whose exports are frozen getters: requests for it get what `transform` returns. */
export interface ExportsTransform {
  request: RegExp;
  transform: (exports: unknown) => unknown;
}

/** Requests worth a scan: the drivers' package names, bare or as a path. */
const DRIVER_REQUEST =
  /(?:^|[\\/])(?:pg|pg-pool|mysql2|better-sqlite3|drizzle-orm|knex|bookshelf|objection|sequelize|typeorm[\w.-]*|bluebird|koa|hono|@prisma[\\/]client)(?:[\\/]|$)/;
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
      const transforms = this.transforms;
      Module._load = function (this: unknown, request: string) {
        let exports = original.apply(this, arguments as unknown as [string, unknown, boolean]);
        try {
          if (typeof request === 'string' && DRIVER_REQUEST.test(request)) {
            scan();
            for (const t of transforms) if (t.request.test(request)) exports = t.transform(exports);
          }
        } catch {
          /* never into the app */
        }
        return exports;
      };
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
