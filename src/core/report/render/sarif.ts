import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Finding } from '../../findings/finding';
import type { Report } from '../types';
import { pathInside } from '../../util/paths';

const RULES: Record<string, string> = {
  'n-plus-one': 'The same query runs once per item from one line: batch it.',
  'slow-query': 'A query took longer than the threshold.',
  'duplicate-query': 'The same query with the same parameters ran several times in one scope.',
  'pool-wait': 'Requests of a route wait for a free connection of a database pool.',
  'held-connection': 'A transaction stays open across work that is not the database\'s while other requests wait for a pooled connection.',
  leak: 'Live memory allocated at this line keeps growing.',
  'heap-growth': 'The heap after garbage collection keeps growing.',
  'gc-pressure': 'Garbage collection takes a large share of the time.',
  'event-loop-block': 'The event loop was blocked.',
  'heap-limit': 'The heap after garbage collection is near its limit.',
};

const LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;

/** A SARIF artifact URI: relative to the root inside it (with `%SRCROOT%`), a file URI outside. */
export function artifactUri(file: string, root: string): string {
  const rel = pathInside(root, file);
  return rel !== null ? rel.split('/').map(encodeURIComponent).join('/') : 'file://' + file.split(path.sep).map(encodeURIComponent).join('/');
}

function physical(loc: NonNullable<Finding['location']>, root: string) {
  return {
    physicalLocation: {
      artifactLocation: { uri: artifactUri(loc.file, root), uriBaseId: '%SRCROOT%' },
      region: { startLine: Math.max(1, loc.line), startColumn: Math.max(1, loc.column) },
    },
  };
}

/** SARIF 2.1.0: one result per finding, locations relative to `root`. */
export function toSarif(report: Report, root: string): object {
  const kinds = [...new Set(report.findings.map((f) => f.kind))].sort();
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'perf-lens',
            version: report.tool.version,
            informationUri: 'https://github.com/perf-lens/perf-lens',
            rules: kinds.map((k) => ({ id: k, shortDescription: { text: RULES[k] ?? k } })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(root).href.replace(/\/?$/, '/') } },
        results: report.findings.map((f) => ({
          ruleId: f.kind,
          ruleIndex: kinds.indexOf(f.kind),
          level: LEVEL[f.severity],
          message: { text: f.message },
          locations: f.location ? [physical(f.location, root)] : [],
          relatedLocations: f.related
            .filter((r) => r.location)
            .map((r, i) => ({ id: i + 1, message: { text: r.message }, ...physical(r.location!, root) })),
          partialFingerprints: { perfLensFindingId: f.id },
          properties: { pid: f.pid, ...f.data },
        })),
      },
    ],
  };
}
