import type { LocRow, QueryMessage, QueryRows, QueryWireRow, SourceLocation } from './messages';

/** The fields a row carries in its place; every other field of a QueryMessage goes in `more`. */
const IN_ROW = new Set(['type', 'pid', 't', 'durationMs', 'db', 'text', 'scope', 'callsite', 'error']);

/** Builds QueryRows out of (place, message) pairs of one process, interning locations. */
export class QueryRowsWriter {
  private readonly files: string[] = [];
  private readonly fileIndex = new Map<string, number>();
  private readonly locs: LocRow[] = [];
  /** the agent reuses one SourceLocation object per call site: identity finds most repeats */
  private readonly locIndex = new Map<SourceLocation, number>();
  private readonly rows: QueryWireRow[] = [];

  constructor(readonly pid: number) {}

  add(at: number, m: QueryMessage): void {
    const scope = m.scope;
    let more: Record<string, unknown> | undefined;
    for (const key in m) {
      if (IN_ROW.has(key)) continue;
      const value = (m as unknown as Record<string, unknown>)[key];
      if (value === undefined) continue;
      more ??= {};
      if (key === 'stack') more.stack = (value as SourceLocation[]).map((l) => this.loc(l));
      else if (key === 'library') more.library = this.loc(value as SourceLocation);
      else more[key] = value;
    }
    const callsite = m.callsite === null ? -1 : this.loc(m.callsite);
    const scopeId = scope === null ? null : scope.id;
    const scopeName = scope === null ? null : scope.name;
    const error = m.error ? 1 : 0;
    this.rows.push(
      more === undefined
        ? [at, m.t, m.durationMs, m.db, m.text, scopeId, scopeName, callsite, error]
        : [at, m.t, m.durationMs, m.db, m.text, scopeId, scopeName, callsite, error, more],
    );
  }

  finish(): QueryRows {
    return { pid: this.pid, files: this.files, locs: this.locs, rows: this.rows };
  }

  private loc(l: SourceLocation): number {
    let i = this.locIndex.get(l);
    if (i !== undefined) return i;
    let f = this.fileIndex.get(l.file);
    if (f === undefined) {
      f = this.files.length;
      this.files.push(l.file);
      this.fileIndex.set(l.file, f);
    }
    i = this.locs.length;
    this.locs.push([f, l.line, l.column]);
    this.locIndex.set(l, i);
    return i;
  }
}

/** Why QueryRows cannot be read, or the messages they stand for as [at, message] (not yet validated). */
export function readQueryRows(value: unknown): { ok: true; value: Array<[number, Record<string, unknown>]> } | { ok: false; reason: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'batch.queries is not an object' };
  const { pid, files, locs, rows } = value as Record<string, unknown>;
  if (!Array.isArray(files) || !files.every((f) => typeof f === 'string')) return { ok: false, reason: 'batch.queries.files is not an array of strings' };
  if (!Array.isArray(locs) || !Array.isArray(rows)) return { ok: false, reason: 'batch.queries.locs or rows is not an array' };
  // one object per loc, shared by the rows naming it (the store copies what it keeps)
  const table: SourceLocation[] = [];
  for (const l of locs) {
    if (!Array.isArray(l) || l.length !== 3 || !Number.isInteger(l[0]) || l[0] < 0 || l[0] >= files.length) {
      return { ok: false, reason: 'batch.queries loc is not [file index, line, column]' };
    }
    table.push({ file: files[l[0]], line: l[1], column: l[2] });
  }
  const locAt = (i: unknown): SourceLocation | undefined =>
    Number.isInteger(i) && (i as number) >= 0 && (i as number) < table.length ? table[i as number] : undefined;
  const out: Array<[number, Record<string, unknown>]> = [];
  for (const row of rows) {
    if (!Array.isArray(row) || (row.length !== 9 && row.length !== 10)) return { ok: false, reason: 'batch.queries row is not an array of 9 or 10 fields' };
    const [at, t, durationMs, db, text, scopeId, scopeName, site, error] = row;
    const callsite = site === -1 ? null : locAt(site);
    if (callsite === undefined) return { ok: false, reason: 'batch.queries row names no loc of the batch' };
    if (error !== 0 && error !== 1) return { ok: false, reason: 'batch.queries row has an error flag other than 0 or 1' };
    let scope: unknown = null;
    if (scopeId !== null || scopeName !== null) scope = { id: scopeId, name: scopeName };
    const message: Record<string, unknown> = { type: 'query', pid, t, durationMs, db, text, scope, callsite, error: error === 1 };
    if (row.length === 10) {
      const more = row[9];
      if (more === null || typeof more !== 'object' || Array.isArray(more)) return { ok: false, reason: 'batch.queries row ends in no object' };
      for (const key in more) {
        if (IN_ROW.has(key)) return { ok: false, reason: `batch.queries row repeats ${key} in its object` };
        const value = (more as Record<string, unknown>)[key];
        if (key === 'stack') {
          if (!Array.isArray(value)) return { ok: false, reason: 'batch.queries row has a stack that is not an array' };
          const stack = value.map(locAt);
          if (stack.includes(undefined)) return { ok: false, reason: 'batch.queries row names no loc of the batch' };
          message.stack = stack;
        } else if (key === 'library') {
          const library = locAt(value);
          if (library === undefined) return { ok: false, reason: 'batch.queries row names no loc of the batch' };
          message.library = library;
        } else message[key] = value;
      }
    }
    out.push([at, message]);
  }
  return { ok: true, value: out };
}
