/** Bound parameters as short strings: enough to tell "same query, same values" apart. */
export const MAX_PARAMS = 32;
export const MAX_PARAM_CHARS = 64;

function short(text: string): string {
  return text.length > MAX_PARAM_CHARS ? text.slice(0, MAX_PARAM_CHARS) : text;
}

function one(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return short(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'undefined':
      return 'undefined';
    case 'function':
    case 'symbol':
      return `[${typeof value}]`;
  }
  if (value === null) return 'null';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (Buffer.isBuffer(value)) return `<Buffer ${value.length} bytes>`;
  if (Array.isArray(value) && value.length <= MAX_PARAMS) {
    // `= ANY($1)` arrays: the values matter for duplicates; a JSON of a few primitives is cheap.
    try {
      return short(JSON.stringify(value));
    } catch {
      return '[array]';
    }
  }
  return Array.isArray(value) ? `[array ${value.length}]` : '[object]';
}

/**
 * Positional values, an `arguments` object, or a single object of named values (mysql2
 * named placeholders, better-sqlite3 `@name` bindings) → at most MAX_PARAMS short strings.
 */
export function formatParams(values: unknown): string[] | undefined {
  if (values === undefined || values === null) return undefined;
  let list: ArrayLike<unknown>;
  if (Array.isArray(values) || isArguments(values)) {
    list = values as ArrayLike<unknown>;
    // better-sqlite3: stmt.run([1, 2]) and stmt.run({a: 1}) bind like stmt.run(1, 2)
    if (list.length === 1 && list[0] !== null && typeof list[0] === 'object' && !(list[0] instanceof Date) && !Buffer.isBuffer(list[0])) {
      return formatParams(Array.isArray(list[0]) ? list[0] : Object.values(list[0] as object));
    }
  } else if (typeof values === 'object') {
    list = Object.values(values as object);
  } else {
    list = [values];
  }
  if (list.length === 0) return undefined;
  const n = Math.min(list.length, MAX_PARAMS);
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = one(list[i]);
  return out;
}

function isArguments(value: unknown): boolean {
  return Object.prototype.toString.call(value) === '[object Arguments]';
}
