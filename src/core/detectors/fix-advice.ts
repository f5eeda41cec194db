import type { DbKind } from '../../protocol';

/** What an N+1's fix needs to know: the database, the statement, its key column, the ORM the app spoke. */
export interface FixContext {
  db: DbKind;
  /** first keyword of the statement (`select`, `insert`, …) */
  verb: string;
  /** the column of `where <column> = ?`, when the text shows one */
  column: string | null;
  /** the npm package the app called (`knex`, `sequelize`, `@prisma/client`), from the agent */
  orm?: string;
  /** the npm package that called the app's code (`graphql` for a resolver) */
  callerLibrary?: string;
}

/** The ORMs whose own words the advice speaks, by the package the app called. */
const ORM_OF_PACKAGE: Record<string, string> = {
  knex: 'knex',
  bookshelf: 'bookshelf',
  objection: 'objection',
  sequelize: 'sequelize',
  '@prisma/client': 'prisma',
  '.prisma': 'prisma',
  'drizzle-orm': 'drizzle',
};

/** `knex`, `prisma`, … for the package the app called; null for a driver or an ORM we do not know. */
export function ormOf(pkg: string | undefined): string | null {
  if (!pkg) return null;
  if (Object.hasOwn(ORM_OF_PACKAGE, pkg)) return ORM_OF_PACKAGE[pkg];
  if (/^typeorm/.test(pkg)) return 'typeorm'; // aliased installs (typeorm03)
  if (/^@mikro-orm\//.test(pkg)) return 'mikro-orm'; // core, knex and each driver package
  return null;
}

/** The column as the database spells it: PostgreSQL folds unquoted names, a camelCase one keeps its quotes. */
function columnOf(c: FixContext): string {
  if (c.column === null) return 'id';
  return c.db === 'postgres' && !/^[a-z_][a-z0-9_$]*$/.test(c.column) ? `"${c.column}"` : c.column;
}

/** The bare column name for ORM code (`authorId`), without the quotes SQL needs. */
function fieldOf(c: FixContext): string {
  return c.column === null ? 'id' : c.column.replace(/^"|"$/g, '');
}

/** How a read N+1 is fixed in the words of the ORM the app used. */
const ORM_READ_FIX: Record<string, (field: string) => string> = {
  knex: (f) => `Fetch them in one query with .whereIn('${f}', ids) (or a join).`,
  bookshelf: (f) => `Eager-load the relation with the parent: fetch({ withRelated: ['relation'] }) or fetchAll({ withRelated: […] }), or one query with .where('${f}', 'in', ids).`,
  objection: (f) => `Eager-load it with the parent: .withGraphFetched('relation'), or one query with .whereIn('${f}', ids).`,
  sequelize: (f) => `Eager-load it with the parent: findAll({ include: [Relation] }), or one query with where: { ${f}: ids }.`,
  typeorm: (f) => `Load the relation with the parent: find({ relations: { relation: true } }) or a query builder's leftJoinAndSelect, or one query with findBy({ ${f}: In(ids) }).`,
  prisma: (f) => `Load the relation with the parent query: include: { relation: true } (relationLoadStrategy: 'join' does it in one SQL query), or findMany({ where: { ${f}: { in: ids } } }).`,
  drizzle: (f) => `Load the relation with the parent: db.query.<table>.findMany({ with: { relation: true } }), or one query with inArray(<table>.${f}, ids).`,
  'mikro-orm': (f) => `Load the relation with the parent: find(…, { populate: ['relation'] }), or one query with { ${f}: { $in: ids } }.`,
};

/** Redis: the batch command for this one where there is one, a pipeline otherwise. */
function redisFix(verb: string): string {
  if (verb === 'get') return 'Fetch the keys with one MGET (or a pipeline), or batch them with a DataLoader.';
  if (verb === 'set') return 'Write the keys with one MSET (or a pipeline: MSET sets no expiry).';
  if (verb === 'del' || verb === 'unlink' || verb === 'exists') return `Pass all the keys to one ${verb.toUpperCase()}.`;
  const name = verb.toUpperCase();
  return `Send the ${name} commands in one pipeline (ioredis: redis.pipeline()…exec(); node-redis: client.multi()…execAsPipeline()), one round trip for all the keys.`;
}

/** One sentence: how to turn this N+1 into one round trip, in the words of what the app uses. */
export function nPlusOneFix(c: FixContext): string {
  const col = columnOf(c);
  if (c.db === 'redis') return redisFix(c.verb);
  if (c.db === 'mongodb') return `Fetch them in one find({ ${col}: { $in: ids } }), or batch them with a DataLoader.`;
  const where = c.db === 'postgres' ? `WHERE ${col} = ANY($1)` : `WHERE ${col} IN (…)`;
  if (c.verb === 'insert' || c.verb === 'replace') {
    const orm = ormOf(c.orm);
    const bulk =
      orm === 'knex' || orm === 'bookshelf' || orm === 'objection' ? ' (knex: .insert([rows]))'
      : orm === 'sequelize' ? ' (Sequelize: bulkCreate(rows))'
      : orm === 'typeorm' ? ' (TypeORM: repository.insert(rows) or save(entities))'
      : orm === 'prisma' ? ' (Prisma: createMany({ data: rows }))'
      : orm === 'drizzle' ? ' (drizzle: db.insert(table).values(rows))'
      : '';
    return `Insert the rows in one statement (a multi-row VALUES list${c.db === 'postgres' ? ' or unnest($1)' : ''})${bulk}.`;
  }
  if (c.verb === 'update' || c.verb === 'delete') return `Do it in one statement with ${where}.`;
  if (c.callerLibrary === 'graphql') {
    return `A GraphQL resolver loads them one parent at a time: batch the loads with a DataLoader (one query per tick with ${where}).`;
  }
  const orm = ormOf(c.orm);
  if (orm !== null) return ORM_READ_FIX[orm](fieldOf(c));
  return `Load them in one query with ${where}, join them in, or batch them with a DataLoader.`;
}
