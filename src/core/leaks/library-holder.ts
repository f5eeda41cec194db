import type { SourceLocation } from '../../protocol';
import type { TrackedSite } from '../session/site-history';
import type { SourceReader } from '../util/source-text';
import { findRetainingLine } from './retaining-line';

/** A library structure that keeps what the app's code made: express-session's MemoryStore.sessions. */
export interface LibraryHolder {
  /** `MemoryStore.sessions`, or the statement when no class and property can be named */
  name: string;
  /** the npm package (`express-session`) */
  packageName: string;
  /** the statement in the library that stores it (`this.sessions[sessionId] = …`), at its line */
  statement: string;
  location: SourceLocation;
  /** where the app creates that structure (the `session({…})` call), when found in the app's files */
  createdAt: { location: SourceLocation; text: string } | null;
}

const PACKAGE = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/](?!.*[\\/]node_modules[\\/])/;

/** `express-session` for …/node_modules/express-session/session/memory.js. */
export function packageOfFile(file: string): string | null {
  const m = PACKAGE.exec(file);
  return m ? m[1].replace(/\\/g, '/') : null;
}

const lineAt = (text: string, line: number): string => text.split('\n')[line - 1] ?? '';

/**
 * The class of the function starting at `line`: `X.prototype.m = function` (ES5 libraries) or
 * the nearest `class X` above it.
 */
function classOf(text: string, line: number): string | null {
  const proto = /([A-Za-z_$][\w$]*)\.prototype\.[\w$]+\s*=/.exec(lineAt(text, line));
  if (proto) return proto[1];
  const lines = text.split('\n');
  for (let i = line - 1; i >= 0 && i >= line - 400; i--) {
    const m = /^\s*(?:export\s+)?(?:default\s+)?class\s+([A-Za-z_$][\w$]*)/.exec(lines[i]);
    if (m) return m[1];
  }
  return null;
}

/** The binding the app gives the package: `session` of `const session = require('express-session')`. */
function bindingOf(text: string, pkg: string): { name: string; line: number } | null {
  const q = pkg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const patterns = [
    new RegExp(`(?:const|let|var)\\s+([A-Za-z_$][\\w$]*)\\s*=\\s*require\\(\\s*['"]${q}['"]\\s*\\)`),
    new RegExp(`import\\s+([A-Za-z_$][\\w$]*)\\s+from\\s+['"]${q}['"]`),
    new RegExp(`import\\s+\\*\\s+as\\s+([A-Za-z_$][\\w$]*)\\s+from\\s+['"]${q}['"]`),
  ];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    for (const p of patterns) {
      const m = p.exec(lines[i]);
      if (m) return { name: m[1], line: i + 1 };
    }
  }
  return null;
}

/** The first call of the package's binding in a file (`app.use(session({ … }))`), after its import. */
function creationIn(file: string, text: string, pkg: string): { location: SourceLocation; text: string } | null {
  const binding = bindingOf(text, pkg);
  if (!binding) return null;
  const call = new RegExp(`(^|[^\\w$.])${binding.name.replace(/\$/g, '\\$')}\\s*\\(`);
  const lines = text.split('\n');
  for (let i = binding.line; i < lines.length; i++) {
    const m = call.exec(lines[i]);
    if (m) return { location: { file, line: i + 1, column: m.index + m[1].length + 1 }, text: `${binding.name}(…)` };
  }
  return null;
}

/**
 * When a leaking site's memory is allocated inside a dependency and that dependency's code
 * stores it (`this.sessions[id] = …`), the holder is the library's structure, not the app line
 * that fed it. `appFiles` are searched for the call that creates the structure.
 */
export function libraryHolderOf(site: TrackedSite, appFiles: () => readonly string[], read: SourceReader): LibraryHolder | null {
  // one answer per site and library frame: the live analysis asks again every second
  const known = found.get(site);
  if (known && known.library === site.library) return known.holder;
  const holder = search(site, appFiles, read);
  found.set(site, { library: site.library, holder });
  return holder;
}

const found = new WeakMap<TrackedSite, { library: TrackedSite['library']; holder: LibraryHolder | null }>();

function search(site: TrackedSite, appFiles: () => readonly string[], read: SourceReader): LibraryHolder | null {
  const lib = site.library;
  if (!lib) return null;
  const packageName = packageOfFile(lib.location.file);
  if (!packageName) return null;
  const text = read(lib.location.file);
  if (text === undefined) return null;
  const r = findRetainingLine(text, lib.location.line, lib.location.column);
  if (!r) return null;
  const cls = classOf(text, lib.location.line);
  const prop = /^this\.([A-Za-z_$][\w$]*)/.exec(r.statement)?.[1];
  const name = cls && prop ? `${cls}.${prop}` : `${packageName}: ${r.statement}`;
  let createdAt: LibraryHolder['createdAt'] = null;
  for (const file of new Set(appFiles())) {
    const appText = read(file);
    if (appText === undefined) continue;
    createdAt = creationIn(file, appText, packageName);
    if (createdAt) break;
  }
  return {
    name,
    packageName,
    statement: r.statement,
    location: { file: lib.location.file, line: r.line, column: r.column },
    createdAt,
  };
}
