import { fileURLToPath } from 'node:url';
import type { SourceLocation } from '../../protocol/messages';
import { originalLocation } from './in-memory-maps';

/**
 * Finds the application's frame that issued a query. Structured CallSites (a
 * prepareStackTrace override scoped to the capture) cost about half of formatting and
 * parsing `.stack` (measured on Node 20: 9–14 µs against 18–22 µs for 10 frames at depth 30).
 * The first capture keeps SHALLOW frames: enough when the app calls the driver directly.
 * ORMs put 9–11 frames between the user and the driver (their `at async userFn` frames are
 * what reaches the user), so a capture that found no app frame is repeated DEEP — unless the
 * ORM entry the app called (see entry-sites.ts) already named the app's frame.
 */
export const SHALLOW = 10;
export const DEEP = 48;
/** Application frames kept above the call site (the helper's caller, the loop, its caller). */
const MAX_STACK = 4;
/** An outer frame this many lines above the call site, in its file, is taken for the same statement. */
const SAME_STATEMENT_LINES = 3;

/** Frames of TypeScript's down-levelled async functions (tslib or inlined helpers). */
const AWAITER_FRAMES = new Set(['__awaiter', '__generator', 'step', 'fulfilled', 'rejected']);
const TSLIB = /[\\/]node_modules[\\/]tslib[\\/]/;

/** This bundle: its frames are never the app's. */
const SELF = typeof __filename === 'string' ? __filename : '';

export interface Capture {
  callsite: SourceLocation | null;
  stack: SourceLocation[] | undefined;
  /** true when the shallow capture held no application frame */
  deep: boolean;
  /** with no callsite: the innermost library frame, so a finding can say where the query came from */
  library?: SourceLocation;
  /** the call site is an `await` (an async frame), not the call that issued the query */
  async?: boolean;
  /** the package the app's frame called to issue it (`knex`, `sequelize`), when not a driver */
  orm?: string;
  /** the package whose code called the app's frames (`graphql` for a resolver, `express`) */
  callerLibrary?: string;
}

/** Drivers: the package a query leaves through, never the one the app chose to speak in. */
const DRIVERS = new Set(['pg', 'pg-pool', 'mysql2', 'mysql', 'better-sqlite3', 'sqlite3', 'mariadb', 'tedious', 'oracledb']);

const PACKAGE = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/](?!.*[\\/]node_modules[\\/])/;

const packages = new Map<string, string | undefined>();

/** `knex` for …/node_modules/knex/lib/…, `@prisma/client` for a scoped package; undefined outside node_modules. */
export function packageOf(file: string): string | undefined {
  // asked for a frame of most ORM calls: the regular expression was 1 % of a knex app's CPU
  if (packages.has(file)) return packages.get(file);
  const m = PACKAGE.exec(file);
  const pkg = m === null ? undefined : m[1].replace(/\\/g, '/');
  if (packages.size < 10_000) packages.set(file, pkg);
  return pkg;
}

type Sites = NodeJS.CallSite[];
const asCallSites = (_e: Error, sites: Sites): Sites => sites;

/** Why a file is not the app's: node internals, code of no file, or a library. */
const NOT_A_FILE = 0;
const LIBRARY = 1;
/** a library too: tslib, whose `__awaiter` frames stand between an app's async function and its caller */
const TSLIB_FILE = 2;

/** file name as V8 reports it → absolute path when it is application code, else NOT_A_FILE, LIBRARY or TSLIB_FILE */
const appFiles = new Map<string, string | number>();

function appPath(name: string): string | number {
  let known = appFiles.get(name);
  if (known !== undefined) return known;
  known = classify(name);
  if (appFiles.size < 10_000) appFiles.set(name, known);
  return known;
}

function classify(name: string): string | number {
  if (name === '' || name.startsWith('node:') || name.startsWith('internal/')) return NOT_A_FILE;
  let file = name;
  if (file.startsWith('file://')) {
    try {
      file = fileURLToPath(file);
    } catch {
      return NOT_A_FILE;
    }
  } else if (!file.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(file) && !file.startsWith('\\\\')) {
    return NOT_A_FILE; // <anonymous>, evalmachine.<anonymous>, wasm://…
  }
  if (file === SELF) return NOT_A_FILE;
  if (/[\\/]node_modules[\\/]/.test(file)) return TSLIB.test(file) ? TSLIB_FILE : LIBRARY;
  return file;
}

function fileNameOf(site: NodeJS.CallSite): string | null | undefined {
  return site.getFileName() ?? (site as { getScriptNameOrSourceURL?: () => string }).getScriptNameOrSourceURL?.();
}

/** Up to `limit` structured frames of the current stack, above `above`. */
export function frames(limit: number, above: Function): Sites {
  const savedPrepare = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  try {
    Error.prepareStackTrace = asCallSites;
    Error.stackTraceLimit = limit;
    const holder: { stack?: Sites } = {};
    Error.captureStackTrace(holder, above);
    const sites = holder.stack;
    return Array.isArray(sites) ? sites : [];
  } finally {
    Error.prepareStackTrace = savedPrepare;
    Error.stackTraceLimit = savedLimit;
  }
}

/**
 * The first application frame of `sites` and the application frames that called it directly:
 * a helper's caller, the loop, up to the first library frame (a framework calling the app's
 * handler is no caller worth naming). Null if no frame is the app's.
 */
export function pick(sites: Sites): Capture | null {
  const found = new AppFrames();
  let asyncFrame = false;
  let awaiter = false;
  /** the outermost library frame under the app's call: the package the app called */
  let calledInto: string | null = null;
  for (let i = 0; i < sites.length; i++) {
    const site = sites[i];
    const name = fileNameOf(site);
    if (!name) continue;
    const file = appPath(name);
    if (typeof file !== 'string') {
      if (file === TSLIB_FILE) {
        if (site.getFunctionName() === '__awaiter') awaiter = true;
        continue;
      }
      if (found.callsite !== null && file === LIBRARY) {
        found.callerLibrary = packageOf(name);
        break;
      }
      if (file === LIBRARY && found.callsite === null) calledInto = name;
      continue;
    }
    if (found.callsite === null && calledInto !== null) found.calledInto(calledInto);
    // tsc's ES5/ES2015 async functions: the body runs as a generator stepped by `__awaiter`
    // (tslib's or a copy inlined in the app's file), under the frame of the function's own
    // `return __awaiter(…)`, which is no caller.
    const fn = site.getFunctionName();
    if (fn !== null && AWAITER_FRAMES.has(fn)) {
      if (fn === '__awaiter') awaiter = true;
      continue;
    }
    if (awaiter) {
      awaiter = false; // the wrapper frame of the function whose body is the frame before
      if (found.callsite !== null) continue;
    }
    if (found.callsite === null) asyncFrame = (site as { isAsync?: () => boolean }).isAsync?.() === true;
    if (!found.add(originalLocation(name, file, site.getLineNumber() ?? 0, site.getColumnNumber() ?? 0))) break;
  }
  return found.capture(asyncFrame);
}

/**
 * The call site and the app frames that called it, frame by frame from the innermost: `add`
 * returns false once no more are wanted. Frames a few lines above the call site in its file are
 * the same statement (`await Promise.all(list.map((x) =>` over several lines): not callers.
 */
class AppFrames {
  callsite: SourceLocation | null = null;
  stack: SourceLocation[] | undefined;
  orm: string | undefined;
  callerLibrary: string | undefined;

  /** The library file the app's call site called into: its package, unless it is a driver. */
  calledInto(file: string): void {
    const pkg = packageOf(file);
    if (pkg !== undefined && !DRIVERS.has(pkg)) this.orm = pkg;
  }

  add(loc: SourceLocation): boolean {
    const c = this.callsite;
    if (c === null) this.callsite = loc;
    else if (loc.file !== c.file || loc.line > c.line || loc.line < c.line - SAME_STATEMENT_LINES) {
      (this.stack ??= []).push(loc);
      if (this.stack.length >= MAX_STACK) return false;
    }
    return true;
  }

  capture(async = false): Capture | null {
    if (this.callsite === null) return null;
    const c: Capture = { callsite: this.callsite, stack: this.stack, deep: false, async };
    if (this.orm !== undefined) c.orm = this.orm;
    if (this.callerLibrary !== undefined) c.callerLibrary = this.callerLibrary;
    return c;
  }
}

/** The innermost frame of a library (a file under node_modules), for a query with no app frame. */
function libraryFrame(sites: Sites): SourceLocation | undefined {
  for (let i = 0; i < sites.length; i++) {
    const site = sites[i];
    const name = fileNameOf(site);
    const kind = name ? appPath(name) : NOT_A_FILE;
    if (!name || (kind !== LIBRARY && kind !== TSLIB_FILE)) continue;
    const file = name.startsWith('file://') ? fileURLToPath(name) : name;
    return { file, line: site.getLineNumber() ?? 0, column: site.getColumnNumber() ?? 0 };
  }
  return undefined;
}

/**
 * The first application frame below `above` (the driver entry the app called) and a few
 * application frames above it. `deep` skips straight past the shallow capture when the caller
 * already knows it comes up empty for this query. `entry`, the site where the app entered an
 * ORM (carried in the async context), is taken before a deep capture: it is the innermost app
 * frame, where async frames only name the awaiting function. Never throws.
 */
export function captureCallsite(above: Function, deep = false, entry: Capture | null = null): Capture {
  try {
    if (!deep) {
      const found = pick(frames(SHALLOW, above));
      // An async frame names where the app awaits, which the ORM entry (when there is one)
      // names more exactly: the call inside a `Promise.all(items.map(…))`, a helper's caller.
      if (found) return found.async && entry !== null ? entry : found;
    }
    if (entry !== null) return entry;
    const sites = frames(DEEP, above);
    const found = pick(sites);
    if (found) {
      found.deep = true;
      return found;
    }
    return { callsite: null, stack: undefined, deep: true, library: libraryFrame(sites) };
  } catch {
    /* a stack we cannot read is a query without a call site */
  }
  return { callsite: null, stack: undefined, deep: true };
}

const STACK_LINE = /^\s*at (?:(?:async )?(?:.*?) \()?((?:file:\/\/|\/|[A-Za-z]:[\\/]|\\\\).*?):(\d+):(\d+)\)?\s*$/;

/**
 * The app's frame in a stack some library captured at the app's call and formatted as text
 * (Prisma keeps one per query for its error messages). Same rules as `pick`.
 */
export function pickFromStackText(text: string): Capture | null {
  const mapped = (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true;
  const found = new AppFrames();
  for (const line of text.split('\n')) {
    const m = STACK_LINE.exec(line);
    if (m === null) continue;
    const name = m[1];
    const file = appPath(name);
    if (typeof file !== 'string') {
      if (found.callsite !== null && file === LIBRARY) {
        found.callerLibrary = packageOf(name);
        break;
      }
      continue;
    }
    // a formatted stack is already source-mapped where Node keeps maps (`--enable-source-maps`, tsx)
    const loc = mapped ? { file, line: Number(m[2]), column: Number(m[3]) } : originalLocation(name, file, Number(m[2]), Number(m[3]));
    if (!found.add(loc)) break;
  }
  return found.capture();
}
