import type { AgentContext } from '../context';
import { BuilderSites } from './drivers/drizzle';
import { patchIoredisClient, patchIoredisCluster, patchIoredisPipeline } from './drivers/ioredis';
import { patchIoredisAutoPipelining, patchIoredisPipelineQueue } from './drivers/ioredis-autopipeline';
import { MariadbCapture } from './drivers/mariadb';
import { patchNodeRedisClient } from './drivers/node-redis';
import { patchNodeRedisCluster } from './drivers/node-redis-cluster';
import { Mysql2Capture } from './drivers/mysql2';
import { patchPgClient, patchPgPool } from './drivers/pg';
import { patchSqliteAddon, patchSqliteDatabase } from './drivers/sqlite';
import { patchHonoContext, patchKoaApplication } from '../probes/framework-routes';
import { EntrySites } from './entry-sites';
import { installEsmHook } from './esm-hook';
import { Handoffs } from './handoff';
import { ModuleWatcher, mysql2HasTracing, type Target } from './module-hook';
import { bluebirdTarget, ormEntryTargets, prismaGetClientWrapper, prismaRuntimeTransform } from './orm-entries';
import { patchKnexClient, patchSequelizeConnectionManager } from './pool-acquire';
import { sample as samplePools, startPoolGauges } from './pool-gauges';
import { QueryRecorder } from './recorder';

const INSTALLED = Symbol.for('perf-lens.queries');

/**
 * Captures every query of pg, mysql2 and better-sqlite3 (and of the ORMs and builders that
 * run on them) the mariadb connector's, and every ioredis and node-redis command with its application call site. Once per process; the agent calls it inside
 * try/catch when `options.probes.queries` is on.
 */
export function installQueryProbes(ctx: AgentContext): { flush(): void } {
  const flush = { flush: () => void samplePools() };
  const g = globalThis as Record<symbol, unknown>;
  if (g[INSTALLED]) return flush;
  g[INSTALLED] = true;
  const recorder = new QueryRecorder(ctx);
  startPoolGauges(ctx);
  const handoffs = new Handoffs();
  const sep = String.raw`[\\/]`;
  const file = (parts: string) => new RegExp(`${sep}node_modules${sep}${parts.split('/').join(sep)}$`);
  const entries = new EntrySites();
  recorder.entry = () => entries.current();
  const builders = new BuilderSites(() => ctx.now());
  recorder.fallback = () => builders.latest();
  const mysql2 = new Mysql2Capture(recorder, handoffs);
  const mysqlConnection = (exports: unknown, filename: string) => mysql2.patchConnection(exports, mysql2HasTracing(filename));
  const mariadb = new MariadbCapture(recorder);
  // mariadb 3.5's `require` build: one bundle whose exports are replaced as it loads
  const mariadbBundle = (flavor: 'promise' | 'callback') => (exports: unknown) => {
    ctx.activateScopes?.();
    return mariadb.wrapBundle(exports, flavor);
  };
  const targets: Target[] = [
    { file: file('pg/lib/client\\.js'), patch: (exports) => patchPgClient(exports, recorder, handoffs) },
    { file: file('pg-pool/index\\.js'), patch: (exports) => patchPgPool(exports, recorder, handoffs) },
    // lib/base/ from mysql2 3.x; lib/connection.js and lib/pool.js alone in older copies
    { file: file('mysql2/lib/base/connection\\.js'), patch: mysqlConnection },
    { file: file('mysql2/lib/connection\\.js'), patch: mysqlConnection },
    { file: file('mysql2/lib/base/pool\\.js'), patch: (exports) => mysql2.patchPool(exports) },
    { file: file('mysql2/lib/pool\\.js'), patch: (exports) => mysql2.patchPool(exports) },
    // mariadb 3.4 (what Prisma 7's adapter pins): CommonJS, a class per file
    { file: file('mariadb/lib/(?:connection|connection-promise|connection-callback|pool-promise|pool-callback)\\.js'), patch: (exports) => mariadb.patchClass(exports) },
    { file: file('ioredis\\d*/built/Redis\\.js'), patch: (exports) => patchIoredisClient(exports, recorder) },
    {
      file: file('ioredis\\d*/built/Pipeline\\.js'),
      patch: (exports) => {
        patchIoredisPipeline(exports, recorder);
        patchIoredisPipelineQueue(exports, recorder);
      },
    },
    { file: file('ioredis\\d*/built/cluster/index\\.js'), patch: (exports) => patchIoredisCluster(exports, recorder) },
    { file: file('ioredis\\d*/built/autoPipelining\\.js'), patch: (exports) => patchIoredisAutoPipelining(exports, recorder) },
    // node-redis 4.x to 6.x (the `redis` package re-exports @redis/client)
    { file: file('@redis/client/dist/lib/client/index\\.js'), patch: (exports, filename) => patchNodeRedisClient(exports, recorder, filename) },
    { file: file('@redis/client/dist/lib/cluster/index\\.js'), patch: (exports, filename) => patchNodeRedisCluster(exports, recorder, filename) },
    // pools that hand out connections: their wait goes into the first query on the connection
    { file: file('knex/lib/client\\.js'), patch: (exports) => patchKnexClient(exports, () => ctx.now()) },
    { file: file('sequelize/lib/dialects/abstract/connection-manager\\.js'), patch: (exports) => patchSequelizeConnectionManager(exports, () => ctx.now()) },
    { file: file('better-sqlite3/lib/database\\.js'), patch: (exports) => patchSqliteDatabase(exports, recorder) },
    { file: file('better-sqlite3/build/[A-Za-z]+/better_sqlite3\\.node'), patch: (exports) => patchSqliteAddon(exports, recorder) },
    // drizzle-orm's CommonJS build (its ESM build does not pass through Module._load)
    { file: file('drizzle-orm/[a-z]+-core/db\\.cjs'), patch: (exports) => builders.patchExports(exports) },
    { file: file('drizzle-orm/[a-z]+-core/query-builders/query\\.cjs'), patch: (exports) => builders.patchExports(exports) },
    ...ormEntryTargets(entries, file),
  ];
  // Request scopes cost the app on every async operation: they start with the first driver.
  const withScopes = (t: Target): Target => ({
    file: t.file,
    patch: (exports, filename) => {
      ctx.activateScopes?.();
      t.patch(exports, filename);
    },
  });
  // Bluebird's async hooks and the route hooks of Koa and Hono need no scopes: an app using
  // them without a database pays nothing more. Prisma's runtime is reached through its require.
  new ModuleWatcher([
    ...targets.map(withScopes),
    bluebirdTarget(file),
    { file: file('koa/lib/application\\.js'), patch: patchKoaApplication },
    { file: file('hono/dist/cjs/context\\.js'), patch: patchHonoContext },
  ], [
    { file: file('@prisma/client/runtime/(?:client|library)\\.js'), transform: prismaRuntimeTransform(entries) },
    { file: file('mariadb/dist/promise\\.cjs'), transform: mariadbBundle('promise') },
    { file: file('mariadb/dist/callback\\.cjs'), transform: mariadbBundle('callback') },
  ]).install();
  // the same for ES module builds (drizzle's, Hono's and Prisma's runtime, whose packages ship both)
  const esm = (parts: string) => new RegExp(`/node_modules/${parts}$`);
  const activating = (patch: (ns: Record<string, unknown>) => void) => (ns: Record<string, unknown>) => {
    ctx.activateScopes?.();
    patch(ns);
  };
  installEsmHook([
    { url: esm('drizzle-orm/[a-z]+-core/db\\.js'), patch: activating((ns) => builders.patchExports(ns)) },
    { url: esm('drizzle-orm/[a-z]+-core/query-builders/query\\.js'), patch: activating((ns) => builders.patchExports(ns)) },
    { url: esm('hono/dist/context\\.js'), patch: patchHonoContext },
    { url: esm('@prisma/client/runtime/(?:client|library)\\.mjs'), wrap: { getPrismaClient: prismaGetClientWrapper(entries) } },
    // mariadb 3.5 under `import`: lib/ as ES modules
    { url: esm('mariadb/lib/(?:connection|connection-promise|connection-callback|pool-promise|pool-callback)\\.js'), patch: activating((ns) => mariadb.patchClass(ns.default)) },
  ]);
  return flush;
}
