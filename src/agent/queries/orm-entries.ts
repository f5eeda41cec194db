import { AsyncResource } from 'node:async_hooks';
import { pickFromStackText, type Capture } from './callsite';
import type { EntrySites } from './entry-sites';
import type { Target } from './module-hook';
import { wrapMethod } from './wrap';

/**
 * The public methods through which apps enter each ORM or query builder: the calls that
 * build or run queries (see entry-sites.ts for what wrapping them buys). A method missing in
 * some version is skipped; calls the ORM makes to its own entries are skipped at run time.
 */

const SEQUELIZE_STATICS = [
  'findAll', 'findOne', 'findByPk', 'findAndCountAll', 'findOrCreate', 'findOrBuild', 'findCreateFind', 'count',
  'aggregate', 'max', 'min', 'sum', 'create', 'bulkCreate', 'upsert', 'update', 'destroy', 'restore', 'increment', 'decrement', 'truncate',
];
const SEQUELIZE_INSTANCE = ['save', 'reload', 'update', 'destroy', 'restore', 'increment', 'decrement'];

const TYPEORM_FINDERS = [
  'find', 'findBy', 'findOne', 'findOneBy', 'findOneOrFail', 'findOneByOrFail', 'findAndCount', 'findAndCountBy', 'findByIds',
  'count', 'countBy', 'exist', 'exists', 'existsBy', 'sum', 'average', 'minimum', 'maximum', 'save', 'remove', 'softRemove',
  'recover', 'insert', 'update', 'updateAll', 'upsert', 'delete', 'deleteAll', 'softDelete', 'restore', 'increment',
  'decrement', 'query', 'clear', 'preload', 'sql',
];
const TYPEORM_BUILDERS = [
  'getMany', 'getOne', 'getOneOrFail', 'getRawMany', 'getRawOne', 'getManyAndCount', 'getRawAndEntities', 'getCount',
  'getExists', 'stream', 'execute', 'loadOne', 'loadMany', 'set', 'add', 'remove', 'addAndRemove',
];

const KNEX_CLIENT = ['queryBuilder', 'raw', 'schemaBuilder'];

// `where` and `query` make the model's knex builder, which runs later under `fetch`
const BOOKSHELF_MODEL = ['fetch', 'fetchAll', 'fetchPage', 'load', 'save', 'destroy', 'count', 'refresh', 'where', 'query'];
const BOOKSHELF_COLLECTION = ['fetch', 'fetchOne', 'fetchPage', 'load', 'count', 'create', 'where', 'query'];

const OBJECTION_STATICS = ['query', 'relatedQuery', 'fetchGraph'];
const OBJECTION_INSTANCE = ['$query', '$relatedQuery', '$fetchGraph'];

type Exports = Record<string, unknown> | null | undefined;

const protoOf = (value: unknown): unknown => (typeof value === 'function' ? value.prototype : undefined);

/** Module files (under node_modules) whose exports hold the entries, and how to wrap them. */
export function ormEntryTargets(sites: EntrySites, file: (parts: string) => RegExp): Target[] {
  const typeorm = (exports: unknown, names: readonly string[]) => {
    for (const value of Object.values((exports as Exports) ?? {})) sites.wrap(protoOf(value), names, 'typeorm');
  };
  return [
    // knex: `knex('t')`, `knex.select()`, `trx('t')` build through the client; raw too
    { file: file('knex/lib/client\\.js'), patch: (Client) => sites.wrap(protoOf(Client), KNEX_CLIENT, 'knex') },
    // Bookshelf runs clones of the builders it was given
    { file: file('knex/lib/query/querybuilder\\.js'), patch: (Builder) => sites.keep(protoOf(Builder), ['clone']) },
    // dialects (loaded when `knex(config)` names one) may have their own queryBuilder
    { file: file('knex/lib/dialects/[\\w-]+/index\\.js'), patch: (Dialect) => sites.wrap(protoOf(Dialect), KNEX_CLIENT, 'knex') },
    { file: file('bookshelf/lib/model\\.js'), patch: (Model) => sites.wrap(protoOf(Model), BOOKSHELF_MODEL, 'bookshelf') },
    { file: file('bookshelf/lib/collection\\.js'), patch: (Collection) => sites.wrap(protoOf(Collection), BOOKSHELF_COLLECTION, 'bookshelf') },
    {
      file: file('objection/lib/model/Model\\.js'),
      patch: (exports) => {
        const Model = (exports as Exports)?.Model;
        sites.wrap(Model, OBJECTION_STATICS, 'objection');
        sites.wrap(protoOf(Model), OBJECTION_INSTANCE, 'objection');
      },
    },
    {
      file: file('sequelize/lib/model\\.js'),
      patch: (Model) => {
        sites.wrap(Model, SEQUELIZE_STATICS, 'sequelize');
        sites.wrap(protoOf(Model), SEQUELIZE_INSTANCE, 'sequelize');
      },
    },
    { file: file('sequelize/lib/sequelize\\.js'), patch: (Sequelize) => sites.wrap(protoOf(Sequelize), ['query'], 'sequelize') },
    // TypeORM (also copies installed under another name, and 0.2's ES5 build)
    { file: file('typeorm[\\w.-]*/repository/(?:Repository|TreeRepository|MongoRepository)\\.js'), patch: (e) => typeorm(e, TYPEORM_FINDERS) },
    { file: file('typeorm[\\w.-]*/entity-manager/EntityManager\\.js'), patch: (e) => typeorm(e, TYPEORM_FINDERS) },
    { file: file('typeorm[\\w.-]*/query-builder/(?:Select|Insert|Update|Delete|SoftDelete|Relation)QueryBuilder\\.js'), patch: (e) => typeorm(e, TYPEORM_BUILDERS) },
    // lazy relations: `await post.author` calls the loader from the app's property read
    { file: file('typeorm[\\w.-]*/query-builder/RelationLoader\\.js'), patch: (e) => typeorm(e, ['load']) },
  ];
}

/**
 * Bluebird runs callbacks from its own queue, in the async context of whichever promise
 * scheduled the queue: under concurrent requests, queries would land in another request's
 * scope. Its `asyncHooks` mode (3.7+) binds each callback to the context it was registered in.
 */
export const bluebirdTarget = (file: (parts: string) => RegExp): Target => ({
  file: file('bluebird/js/release/bluebird\\.js'),
  patch: (Bluebird) => {
    const config = (Bluebird as { config?: unknown } | null)?.config;
    if (typeof config === 'function') config.call(Bluebird, { asyncHooks: true });
  },
});

/**
 * Prisma (6, 7) captures the app's stack itself when the app calls a model method
 * (`prisma.user.findUnique(…)` keeps `new Error()` as `callsite._error`) and runs the query
 * later. Its `PrismaClient` class is made at run time by the runtime's `getPrismaClient(config)`:
 * the wrapper below wraps `_request` of each class it makes, so the query runs in that site.
 * Prisma's request batcher dispatches everything asked in one tick from a `process.nextTick` of
 * whichever request asked first: each request it is handed keeps the async context it was asked
 * in, and is run there.
 */
export function prismaGetClientWrapper(sites: EntrySites): (get: unknown) => unknown {
  const siteOf = (args: IArguments): Capture | null => {
    const error = (args[0] as { callsite?: { _error?: { stack?: unknown } } } | null)?.callsite?._error;
    const text = error?.stack;
    return typeof text === 'string' ? pickFromStackText(text) : null;
  };
  const batchers = new WeakSet<object>();
  return (get) => {
    if (typeof get !== 'function') return get;
    return function getPrismaClient(this: unknown) {
      const PrismaClient = (get as (...a: unknown[]) => unknown).apply(this, arguments as unknown as unknown[]);
      try {
        if (typeof PrismaClient === 'function') {
          wrapMethod(PrismaClient.prototype, '_request', (original) =>
            function _request(this: unknown) {
              let site: Capture | null = null;
              try {
                const handler = (this as { _requestHandler?: { dataloader?: unknown } } | null)?._requestHandler;
                keepBatchContexts(handler?.dataloader, batchers);
                site = siteOf(arguments);
                if (site !== null) site.orm = '@prisma/client';
              } catch {
                site = null;
              }
              return site === null ? original.apply(this, arguments as unknown as unknown[]) : sites.runInSite(site, original, this, arguments);
            },
          );
        }
      } catch {
        /* an unknown Prisma keeps working unseen */
      }
      return PrismaClient;
    };
  };
}

const kAskedIn = Symbol('perf-lens.prisma-asked-in');

/** Prisma's DataLoader: `request(item)` queues, `options.singleLoader(item)` runs one later. */
function keepBatchContexts(loader: unknown, done: WeakSet<object>): void {
  if (loader === null || typeof loader !== 'object' || done.has(loader)) return;
  done.add(loader);
  const l = loader as { options?: Record<string, unknown> };
  const proto = Object.getPrototypeOf(loader) as object | null;
  if (proto !== null && !done.has(proto)) {
    done.add(proto);
    wrapMethod(proto, 'request', (original) =>
      function request(this: unknown, item: unknown) {
        try {
          if (item !== null && typeof item === 'object') (item as Record<symbol, unknown>)[kAskedIn] = new AsyncResource('perf-lens.prisma-request');
        } catch {
          /* frozen: runs where Prisma runs it */
        }
        return original.apply(this, arguments as unknown as unknown[]);
      },
    );
  }
  const options = l.options;
  if (!options) return;
  const single = options.singleLoader;
  if (typeof single === 'function') {
    options.singleLoader = function singleLoader(this: unknown, item: unknown) {
      const asked = (item as Record<symbol, unknown> | null)?.[kAskedIn] as AsyncResource | undefined;
      return asked ? asked.runInAsyncScope(single as Fn, this, item) : (single as Fn).call(this, item);
    };
  }
  const batch = options.batchLoader;
  if (typeof batch === 'function') {
    // a batch Prisma merged into one query is the first asker's
    options.batchLoader = function batchLoader(this: unknown, items: unknown) {
      const first = Array.isArray(items) ? items[0] : undefined;
      const asked = (first as Record<symbol, unknown> | undefined)?.[kAskedIn] as AsyncResource | undefined;
      return asked ? asked.runInAsyncScope(batch as Fn, this, items) : (batch as Fn).call(this, items);
    };
  }
}

type Fn = (this: unknown, ...args: unknown[]) => unknown;

/**
 * The CommonJS runtime's `getPrismaClient` is an export that cannot be redefined: the generated
 * client's `require` of the runtime gets a copy of the exports with the wrapped one.
 */
export function prismaRuntimeTransform(sites: EntrySites): (runtime: unknown) => unknown {
  const copies = new WeakMap<object, unknown>();
  const wrap = prismaGetClientWrapper(sites);
  return (runtime) => {
    if (runtime === null || typeof runtime !== 'object') return runtime;
    const source = runtime as Record<PropertyKey, unknown>;
    if (typeof source.getPrismaClient !== 'function') return runtime;
    let copy = copies.get(source);
    if (copy !== undefined) return copy;
    const out: Record<PropertyKey, unknown> = {};
    for (const key of Reflect.ownKeys(source)) {
      const d = Object.getOwnPropertyDescriptor(source, key);
      Object.defineProperty(out, key, { enumerable: d?.enumerable ?? false, configurable: true, get: () => source[key] });
    }
    Object.defineProperty(out, 'getPrismaClient', { enumerable: true, configurable: true, value: wrap(source.getPrismaClient) });
    copies.set(source, (copy = out));
    return copy;
  };
}
