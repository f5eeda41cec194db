import { MAX_SQL_CHARS, type DbKind } from '../../protocol';
import { loadPgFingerprint, pgFingerprintHash, pgFingerprintReady } from './pg-fingerprint';
import { normalizeSql, type SqlShape } from './sql-normalize';

/**
 * A query's fingerprint is a normalised SQL text (`select * from users where id in (?)`): what
 * the report and the messages show, and what the detectors group by.
 *
 * PostgreSQL: once `initFingerprints()` has loaded libpg-query, equality is decided by its
 * parser-based fingerprint hash (which also ignores aliases, column order and casts), refined
 * by the number of `in (?)` lists so that `id = $1` and `id = ANY($1)` stay apart (libpg-query
 * treats them alike, but one is the N+1 and the other its fix). Each such group is shown by the
 * tokenizer text of the first statement seen in it, so two texts share a fingerprint string
 * exactly when they share a group. Before loading, or when the parser rejects a text (`?`
 * placeholders, truncated SQL), the tokenizer text is the fingerprint, as for other dialects.
 */
export interface QueryShape extends SqlShape {
  fingerprint: string;
}

const MAX_ENTRIES = 5000;

/**
 * Bounded cache in two generations: when the young one fills up it becomes the old one and
 * the previous old one is dropped. O(1) per operation, unlike evicting a Map's oldest key
 * one at a time (V8 then walks the deleted slots).
 */
class BoundedMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();

  /** `onDrop` is told whenever entries may leave the young generation (it rotates, or all are cleared). */
  constructor(private readonly onDrop?: () => void) {}

  get(key: K): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined || this.young.has(key)) return v;
    if (!this.old.has(key)) return undefined;
    const promoted = this.old.get(key) as V;
    this.set(key, promoted);
    return promoted;
  }

  set(key: K, value: V): void {
    if (this.young.size >= MAX_ENTRIES) {
      this.old = this.young;
      this.young = new Map();
      this.onDrop?.();
    }
    this.young.set(key, value);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
    this.onDrop?.();
  }
}

const byRawText = new Map<DbKind, BoundedMap<string, QueryShape>>();
/** Bumped whenever a shape may leave the young generation of a `byRawText` cache (see shapeEpoch). */
let epoch = 0;
const bumpEpoch = (): void => {
  epoch++;
};

/**
 * Read after `analyzeSql(text, db)`: while it keeps that value, the same call again returns the
 * same shape and changes nothing (the text is in its cache's young generation, where a hit moves
 * nothing). So a caller may remember the answer and skip the call, and the caches and every
 * fingerprint given out stay exactly as if it had called (QuerySeries does, so that a metrics
 * export does not hash the text of every query: ~90 ns a query).
 */
export function shapeEpoch(): number {
  return epoch;
}

/** tokenizer text → libpg-query hash (null: did not parse) */
const pgHashByText = new BoundedMap<string, string | null>();
/** libpg-query group → the text shown for it */
const pgDisplay = new BoundedMap<string, string>();

/** Loads libpg-query; resolves false when it is unavailable (tokenizer fingerprints then). */
export async function initFingerprints(): Promise<boolean> {
  const wasReady = pgFingerprintReady();
  const ok = await loadPgFingerprint();
  if (ok && !wasReady) byRawText.get('postgres')?.clear(); // computed without the parser
  return ok;
}

export function fingerprintsUseParser(): boolean {
  return pgFingerprintReady();
}

function countInLists(text: string): number {
  let count = 0;
  for (let at = text.indexOf(' in (?)'); at >= 0; at = text.indexOf(' in (?)', at + 7)) count++;
  return count;
}

function postgresFingerprint(sql: string, text: string): string {
  if (!pgFingerprintReady()) return text;
  let hash = pgHashByText.get(text);
  if (hash === undefined) {
    hash = pgFingerprintHash(sql);
    pgHashByText.set(text, hash);
  }
  if (hash === null) return text;
  const group = `${hash}/${countInLists(text)}`;
  const shown = pgDisplay.get(group);
  if (shown !== undefined) return shown;
  pgDisplay.set(group, text);
  return text;
}

/**
 * Shape and fingerprint of one SQL text; cached by raw text. Never throws. Text past the
 * agent's MAX_SQL_CHARS is cut as the agent cuts it, so a recording or a foreign client with
 * megabytes of SQL costs what 4 KB costs (the WASM parser is erratic on huge hostile input:
 * seconds for 64 KB of nested comment openers).
 */
export function analyzeSql(rawSql: string, db: DbKind): QueryShape {
  const sql = typeof rawSql === 'string' && rawSql.length > MAX_SQL_CHARS ? rawSql.slice(0, MAX_SQL_CHARS) : rawSql;
  let cache = byRawText.get(db);
  if (!cache) byRawText.set(db, (cache = new BoundedMap(bumpEpoch)));
  const hit = cache.get(sql);
  if (hit) return hit;
  let shape: SqlShape;
  try {
    shape = normalizeSql(typeof sql === 'string' ? sql : String(sql), db);
  } catch {
    // The tokenizer is written not to throw; this keeps a bug there from losing the query.
    shape = { text: String(sql), verb: '', batchSize: 1, housekeeping: false, hasPlaceholders: false, arrayPlaceholder: null, keyColumn: null };
  }
  const fp = db === 'postgres' ? postgresFingerprint(sql, shape.text) : shape.text;
  const result: QueryShape = { ...shape, fingerprint: fp };
  cache.set(sql, result);
  return result;
}

/** The normalised text queries are grouped by (see QueryShape). */
export function fingerprint(sql: string, db: DbKind): string {
  return analyzeSql(sql, db).fingerprint;
}
