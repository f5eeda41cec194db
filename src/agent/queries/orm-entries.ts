import { pickFromStackText, type Capture } from './callsite';
import type { EntrySites } from './entry-sites';
import type { Target } from './module-hook';

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
    for (const value of Object.values((exports as Exports) ?? {})) sites.wrap(protoOf(value), names);
  };
  return [
    // knex: `knex('t')`, `knex.select()`, `trx('t')` build through the client; raw too
    { file: file('knex/lib/client\\.js'), patch: (Client) => sites.wrap(protoOf(Client), KNEX_CLIENT) },
    // Bookshelf runs clones of the builders it was given
    { file: file('knex/lib/query/querybuilder\\.js'), patch: (Builder) => sites.keep(protoOf(Builder), ['clone']) },
    // dialects (loaded when `knex(config)` names one) may have their own queryBuilder
    { file: file('knex/lib/dialects/[\\w-]+/index\\.js'), patch: (Dialect) => sites.wrap(protoOf(Dialect), KNEX_CLIENT) },
    { file: file('bookshelf/lib/model\\.js'), patch: (Model) => sites.wrap(protoOf(Model), BOOKSHELF_MODEL) },
    { file: file('bookshelf/lib/collection\\.js'), patch: (Collection) => sites.wrap(protoOf(Collection), BOOKSHELF_COLLECTION) },
    {
      file: file('objection/lib/model/Model\\.js'),
      patch: (exports) => {
        const Model = (exports as Exports)?.Model;
        sites.wrap(Model, OBJECTION_STATICS);
        sites.wrap(protoOf(Model), OBJECTION_INSTANCE);
      },
    },
    {
      file: file('sequelize/lib/model\\.js'),
      patch: (Model) => {
        sites.wrap(Model, SEQUELIZE_STATICS);
        sites.wrap(protoOf(Model), SEQUELIZE_INSTANCE);
      },
    },
    { file: file('sequelize/lib/sequelize\\.js'), patch: (Sequelize) => sites.wrap(protoOf(Sequelize), ['query']) },
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
 * later, after its own batching tick, from a microtask with no frame of the app. Its
 * `PrismaClient` class is made at run time by the runtime's `getPrismaClient(config)`, an
 * export that cannot be redefined: the generated client's `require` of the runtime gets a
 * copy of the exports whose `getPrismaClient` wraps `_request` of each class it makes.
 * (ESM runtimes, `client.mjs`, are not reached this way.)
 */
export function prismaRuntimeTransform(sites: EntrySites): (runtime: unknown) => unknown {
  const copies = new WeakMap<object, unknown>();
  const siteOf = (args: IArguments): Capture | null => {
    const error = (args[0] as { callsite?: { _error?: { stack?: unknown } } } | null)?.callsite?._error;
    const text = error?.stack;
    return typeof text === 'string' ? pickFromStackText(text) : null;
  };
  return (runtime) => {
    if (runtime === null || typeof runtime !== 'object') return runtime;
    const source = runtime as Record<PropertyKey, unknown>;
    const get = source.getPrismaClient;
    if (typeof get !== 'function') return runtime;
    let copy = copies.get(source);
    if (copy !== undefined) return copy;
    const out: Record<PropertyKey, unknown> = {};
    for (const key of Reflect.ownKeys(source)) {
      const d = Object.getOwnPropertyDescriptor(source, key);
      Object.defineProperty(out, key, { enumerable: d?.enumerable ?? false, configurable: true, get: () => source[key] });
    }
    Object.defineProperty(out, 'getPrismaClient', {
      enumerable: true,
      configurable: true,
      value: function getPrismaClient(this: unknown) {
        const PrismaClient = (get as (...a: unknown[]) => unknown).apply(this, arguments as unknown as unknown[]);
        try {
          if (typeof PrismaClient === 'function') sites.wrapWithSite(PrismaClient.prototype, '_request', siteOf);
        } catch {
          /* an unknown Prisma keeps working unseen */
        }
        return PrismaClient;
      },
    });
    copies.set(source, (copy = out));
    return copy;
  };
}
