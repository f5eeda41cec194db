import type { DbKind } from '../../protocol';
import { ID_SEGMENT_SOURCE } from '../../protocol/id-segment';
import { lexSql, Tok, type Token } from './sql-lexer';

/** What the tokenizer learns about one SQL text. */
export interface SqlShape {
  /** normalised text: literals and placeholders as `?`, lists collapsed, lower case */
  text: string;
  /** first keyword (`select`, `insert`, `begin`, …) or '' */
  verb: string;
  /**
   * rows or ids one execution handles as the text shows them: the longest IN list or the
   * number of VALUES rows; 1 for a plain statement (see `arrayPlaceholder` for `ANY($1)`)
   */
  batchSize: number;
  /** transaction control, schema changes, settings, catalog reads: never N+1 or duplicates */
  housekeeping: boolean;
  /** the text has `$1`/`?`/`:x` placeholders: its values travel as params */
  hasPlaceholders: boolean;
  /** `= ANY(?)` or `IN (?)`: one placeholder that may carry a whole array */
  arrayPlaceholder: 'any' | 'in' | null;
  /** column of the first `where <column> = ?`, for the suggested fix */
  keyColumn: string | null;
}

/** Statements that manage the connection, a transaction or the schema. */
const HOUSEKEEPING_VERBS = new Set([
  'begin', 'start', 'commit', 'end', 'rollback', 'savepoint', 'release', 'abort', 'prepare',
  'deallocate', 'set', 'reset', 'show', 'create', 'alter', 'drop', 'truncate', 'grant', 'revoke',
  'comment', 'pragma', 'vacuum', 'analyze', 'explain', 'describe', 'desc', 'use', 'lock',
  'unlock', 'listen', 'unlisten', 'notify', 'discard', 'checkpoint', 'reindex', 'cluster',
  'attach', 'detach', 'rename', 'optimize', 'flush', 'kill',
]);
/** Redis connection and transaction commands. */
const REDIS_HOUSEKEEPING = new Set(['multi', 'exec', 'discard', 'watch', 'unwatch', 'ping', 'auth', 'hello', 'client', 'info', 'config', 'select', 'quit']);

/** Relations that only schema introspection and migrations read. */
const CATALOG_WORDS = new Set([
  'information_schema', 'pg_catalog', 'sqlite_master', 'sqlite_schema', 'sqlite_sequence',
  'sqlite_temp_master', 'performance_schema', 'pg_class', 'pg_namespace',
  'pg_attribute', 'pg_type', 'pg_index', 'pg_constraint', 'pg_proc', 'pg_tables',
  'pg_indexes', 'pg_settings', 'pg_extension', 'pg_database', 'pg_roles', 'pg_views',
  'pg_stat_activity', 'pg_advisory_lock', 'pg_advisory_unlock', 'pg_try_advisory_lock',
  'pragma_table_info', 'pragma_index_list', 'current_schema', 'sqlite_version',
  'knex_migrations', 'knex_migrations_lock', 'sequelizemeta', 'typeorm_metadata',
  'migrations', '__drizzle_migrations', '_prisma_migrations',
]);

const CONNECTION_PROBE = /^select (?:version|current_schema|current_database|current_user|database|@@version)(?:\(\))?(?: as \w+)?;?$/;

/** Words after which `(` opens a list or subquery and gets a space (`in (?)`, `values (?)`). */
const SPACE_BEFORE_PAREN = new Set([
  'in', 'values', 'exists', 'any', 'some', 'all', 'from', 'join', 'as', 'on', 'and', 'or',
  'not', 'where', 'using', 'select', 'with', 'over', 'then', 'when', 'else', 'by', 'set',
  'returning', 'into', 'union', 'intersect', 'except', 'lateral', 'having', 'table', 'update',
]);
/** After `<these> name`, a `(` is a column list: `into t (a, b)`. */
const TABLE_INTRODUCERS = new Set(['into', 'table', 'update', 'join', 'from']);

function isListItem(t: Token): boolean {
  return t.type === Tok.Value || (t.type === Tok.Word && (t.text === 'null' || t.text === 'default'));
}

/**
 * From index `open` (a `(`), is this a flat list of literals/placeholders? Returns the index of
 * the closing `)` and the item count, or null. Stops at the first other token, so scanning is
 * bounded by the literal run it walks over (overall linear).
 */
function flatList(tokens: Token[], open: number, allowWords: boolean): { close: number; items: number; sig: string } | null {
  let items = 0;
  let sig = '';
  let expectItem = true;
  for (let j = open + 1; j < tokens.length; j++) {
    const t = tokens[j];
    if (expectItem) {
      let itemEnd = -1;
      if (t.type === Tok.Value || (allowWords && isListItem(t))) itemEnd = j;
      else if (t.type === Tok.Word && t.text === 'array') itemEnd = arrayLiteralEnd(tokens, j + 1);
      if (itemEnd >= 0) {
        items++;
        sig += t.type === Tok.Value || t.text === 'array' ? '?' : t.text;
        expectItem = false;
        j = itemEnd;
        // casts such as `$1::int` or `$1::int[]` stay part of the item
        if (tokens[j + 1]?.type === Tok.Op && tokens[j + 1].text === '::' && tokens[j + 2]?.type === Tok.Word) {
          sig += '::' + tokens[j + 2].text;
          j += 2;
          if (tokens[j + 1]?.text === '[' && tokens[j + 2]?.text === ']') {
            sig += '[]';
            j += 2;
          }
        }
        continue;
      }
      if (t.type === Tok.Close && items === 0) return { close: j, items: 0, sig };
      return null;
    }
    if (t.type === Tok.Comma) {
      sig += ', ';
      expectItem = true;
      continue;
    }
    if (t.type === Tok.Close) return { close: j, items, sig };
    return null;
  }
  return null;
}

/** `ARRAY[1, 2]` starting at the `[` index: index of the closing `]`, or -1. */
function arrayLiteralEnd(tokens: Token[], open: number): number {
  if (tokens[open]?.text !== '[') return -1;
  for (let j = open + 1; j < tokens.length; j++) {
    const t = tokens[j];
    if (t.text === ']') return j;
    if (t.type !== Tok.Value && t.type !== Tok.Comma) return -1;
  }
  return -1;
}

function render(parts: string[], t: Token, prev: Token | undefined, prevPrev: Token | undefined): void {
  let space = parts.length > 0;
  if (prev) {
    if (prev.type === Tok.Open || prev.type === Tok.Dot || prev.text === '[') space = false;
    if (prev.type === Tok.Op && (prev.text === '::' || prev.text === ':')) space = false;
  }
  if (t.type === Tok.Close || t.type === Tok.Comma || t.type === Tok.Dot || t.type === Tok.Semi) space = false;
  if (t.text === '[' || t.text === ']') space = false;
  if (t.type === Tok.Op && (t.text === '::' || t.text === ':')) space = false;
  if (t.type === Tok.Open && prev && (prev.type === Tok.Word || prev.type === Tok.Ident)) {
    const listWord = prev.type === Tok.Word && SPACE_BEFORE_PAREN.has(prev.text);
    const tableName = prevPrev?.type === Tok.Word && TABLE_INTRODUCERS.has(prevPrev.text);
    space = listWord || tableName;
  }
  if (space) parts.push(' ');
  parts.push(t.text);
}

export function normalizeSql(sql: string, db: DbKind): SqlShape {
  if (db === 'redis') return normalizeRedis(sql);
  const tokens = lexSql(sql, db);
  const parts: string[] = [];
  let batchSize = 1;
  let housekeeping = false;
  let hasPlaceholders = false;
  let keyColumn: string | null = null;
  let arrayPlaceholder: SqlShape['arrayPlaceholder'] = null;
  let seenWhere = false;
  let prev: Token | undefined;
  let prevPrev: Token | undefined;
  const emit = (t: Token) => {
    render(parts, t, prev, prevPrev);
    prevPrev = prev;
    prev = t;
  };

  let verb = '';
  for (const t of tokens) {
    if (t.type === Tok.Word) {
      verb = t.text;
      break;
    }
    if (t.type !== Tok.Open) break;
  }

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.placeholder) hasPlaceholders = true;
    if (t.type === Tok.Word) {
      if (CATALOG_WORDS.has(t.text) || t.text.startsWith('pg_')) housekeeping = true;
      if (t.text === 'where') seenWhere = true;
      // IN (1, 2, 3) / IN ($1, $2) / IN (?) → in (?)
      if (t.text === 'in' && tokens[i + 1]?.type === Tok.Open) {
        const list = flatList(tokens, i + 1, true);
        if (list && list.items > 0) {
          if (list.items === 1 && tokens[i + 2]?.placeholder === true && arrayPlaceholder === null) arrayPlaceholder = 'in';
          batchSize = Math.max(batchSize, list.items);
          emit(t);
          emit({ type: Tok.Open, text: '(' });
          emit({ type: Tok.Value, text: '?' });
          emit({ type: Tok.Close, text: ')' });
          for (let k = i + 1; k <= list.close; k++) if (tokens[k].placeholder) hasPlaceholders = true;
          i = list.close;
          continue;
        }
      }
      // VALUES (?, ?), (?, ?) → values (?, ?): rows of the same shape are one row
      if (t.text === 'values' && tokens[i + 1]?.type === Tok.Open) {
        const first = flatList(tokens, i + 1, true);
        if (first && first.items > 0) {
          let rows = 1;
          let end = first.close;
          while (tokens[end + 1]?.type === Tok.Comma && tokens[end + 2]?.type === Tok.Open) {
            const row = flatList(tokens, end + 2, true);
            if (!row || row.sig !== first.sig) break;
            rows++;
            end = row.close;
          }
          for (let k = i + 1; k <= end; k++) if (tokens[k].placeholder) hasPlaceholders = true;
          batchSize = Math.max(batchSize, rows);
          emit(t);
          emit({ type: Tok.Open, text: '(' });
          parts.push(first.sig);
          prevPrev = prev;
          prev = { type: Tok.Value, text: '?' };
          emit({ type: Tok.Close, text: ')' });
          i = end;
          continue;
        }
      }
      // remember the column of the first `where col = ?` for the fix suggestion
      if (seenWhere && keyColumn === null && tokens[i + 1]?.type === Tok.Op && tokens[i + 1].text === '=' && tokens[i + 2]?.type === Tok.Value) {
        keyColumn = t.text;
      }
    } else if (t.type === Tok.Ident && seenWhere && keyColumn === null && tokens[i + 1]?.type === Tok.Op && tokens[i + 1].text === '=' && tokens[i + 2]?.type === Tok.Value) {
      // a quoted column (`"Follow"."followingId" = $1`, as TypeORM and Prisma write them)
      keyColumn = t.text.slice(1, -1);
    }
    // = ANY(?) → in (?); <> ALL(?) → not in (?)
    if (t.type === Tok.Op && (t.text === '=' || t.text === '<>' || t.text === '!=')) {
      const w = tokens[i + 1];
      const wanted = t.text === '=' ? w?.text === 'any' || w?.text === 'some' : w?.text === 'all';
      if (w?.type === Tok.Word && wanted && tokens[i + 2]?.type === Tok.Open) {
        const list = flatList(tokens, i + 2, false);
        if (list && list.items === 1) {
          if (tokens[i + 3]?.placeholder) hasPlaceholders = true;
          arrayPlaceholder = 'any';
          if (t.text !== '=') emit({ type: Tok.Word, text: 'not' });
          emit({ type: Tok.Word, text: 'in' });
          emit({ type: Tok.Open, text: '(' });
          emit({ type: Tok.Value, text: '?' });
          emit({ type: Tok.Close, text: ')' });
          i = list.close;
          continue;
        }
      }
    }
    if (t.type === Tok.Semi && i === tokens.length - 1) continue; // trailing `;`
    emit(t);
  }

  if (HOUSEKEEPING_VERBS.has(verb)) housekeeping = true;
  const text = parts.join('');
  // what drivers and ORMs ask each new connection (knex, Sequelize, TypeORM): `select version()`
  if (verb === 'select' && CONNECTION_PROBE.test(text)) housekeeping = true;
  return { text, verb, batchSize, housekeeping, hasPlaceholders, arrayPlaceholder, keyColumn };
}

/** A key segment that names one record: digits, a UUID, or 8+ word characters mixing letters and digits. */
const REDIS_ID_SEGMENT = new RegExp(`^${ID_SEGMENT_SOURCE}$`, 'i');

/** `user:42:profile` → `user:?:profile`: the key's pattern, its ids as `?`. */
export function redisKeyPattern(key: string): string {
  return key
    .split(/([:/.{}|])/)
    .map((seg) => (REDIS_ID_SEGMENT.test(seg) ? '?' : seg))
    .join('');
}

/** Commands whose arguments are all keys: one execution reads or writes that many. */
const REDIS_MULTI_KEY = new Set(['mget', 'del', 'unlink', 'exists', 'touch']);
/** Pairs of key and value. */
const REDIS_PAIRS = new Set(['mset', 'msetnx']);

/**
 * Redis: the command and its key patterns (`GET user:42:profile` → `get user:?:profile`,
 * an MGET of ten keys → `mget user:?:profile`). Batches the agent names by their commands
 * (`PIPELINE HGETALL*20`, `MULTI GET*2 SET*1`) are one round trip for that many commands.
 * Values never reach the text: the agent sends keys only.
 */
function normalizeRedis(text: string): SqlShape {
  const words = text.trim().split(/\s+/);
  const verb = (words[0] ?? '').toLowerCase();
  const args = words.slice(1);
  if (verb === 'pipeline' || (verb === 'multi' && args.length > 0)) {
    let commands = 0;
    const names: string[] = [];
    for (const a of args) {
      const m = /^([^*]+)(?:\*(\d+))?$/.exec(a);
      if (!m) continue;
      commands += m[2] ? Number(m[2]) : 1;
      names.push(m[1].toLowerCase());
    }
    const shown = names.length ? `${verb} ${names.join(' ')}` : verb;
    return { text: shown, verb, batchSize: Math.max(1, commands), housekeeping: false, hasPlaceholders: false, arrayPlaceholder: null, keyColumn: null };
  }
  // the agent names 16 keys at most, then how many more: `MGET k1 … k16 +984`
  let more = 0;
  const named = args.filter((a) => {
    const m = /^\+(\d+)$/.exec(a);
    if (m) more += Number(m[1]);
    return !m;
  });
  const keys = REDIS_PAIRS.has(verb) ? named.filter((_, i) => i % 2 === 0) : named;
  const patterns: string[] = [];
  for (const k of keys) {
    const p = redisKeyPattern(k);
    if (!patterns.includes(p)) patterns.push(p);
  }
  // MGET/HMGET/pipelines already batch; one GET per id is the N+1
  const batchSize = REDIS_MULTI_KEY.has(verb) || REDIS_PAIRS.has(verb) ? Math.max(1, keys.length + more) : 1;
  return {
    text: patterns.length > 0 ? `${verb} ${patterns.join(' ')}` : verb,
    verb,
    batchSize,
    housekeeping: REDIS_HOUSEKEEPING.has(verb),
    hasPlaceholders: false,
    arrayPlaceholder: null,
    keyColumn: null,
  };
}
