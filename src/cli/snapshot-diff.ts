import * as fs from 'node:fs';
import * as path from 'node:path';
import { TOOL_VERSION } from '../core';
import { diffSnapshots, formatLeakGroups, parseSnapshotFile } from '../core/heap';
import { walkArgs } from './argv';
import { UsageError } from './usage-error';

export const SNAPSHOT_DIFF_USAGE = `Usage:
  perf-lens snapshot-diff <baseline> <target> <final> [--json FILE] [--top N] [--scripts FILE]
                          [--max-heap-mb N] [--include-internal]

Three .heapsnapshot files of one process: objects allocated between the baseline and the
target that are still alive in the final snapshot, grouped by constructor and allocation site,
with retained sizes and the shortest retainer path of each group.

Options:
  --json FILE          write the groups as JSON
  --top N              print the N largest groups (default 20)
  --scripts FILE       JSON object mapping V8 script ids to URLs (from Debugger.scriptParsed)
  --max-heap-mb N      heap limit of the parser's worker thread (default 2048)
  --include-internal   also group V8-internal nodes (backing arrays, code, hidden)

Exit codes: 0 done, 1 a snapshot could not be parsed, 2 bad usage or a missing file.`;

export interface SnapshotDiffOptions {
  files: [string, string, string];
  json?: string;
  top: number;
  scripts?: string;
  maxHeapMb: number;
  includeInternal: boolean;
}

function positiveInt(raw: string | undefined, flag: string): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isInteger(n) || n <= 0) throw new UsageError(`The option ${flag} needs a positive whole number.`);
  return n;
}

/** Parses the arguments after `snapshot-diff`; throws UsageError. */
export function parseSnapshotDiffArgs(argv: string[], cwd: string): SnapshotDiffOptions | 'help' {
  const positional: string[] = [];
  const out: Omit<SnapshotDiffOptions, 'files'> = { top: 20, maxHeapMb: 2048, includeInternal: false };
  let help = false;
  walkArgs(argv, 0, ({ arg: a, flag, take }) => {
    switch (flag) {
      case '-h':
      case '--help': help = true; return 'stop';
      case '--json': out.json = path.resolve(cwd, take()); break;
      case '--scripts': out.scripts = path.resolve(cwd, take()); break;
      case '--top': out.top = positiveInt(take(), flag); break;
      case '--max-heap-mb': out.maxHeapMb = positiveInt(take(), flag); break;
      case '--include-internal': out.includeInternal = true; break;
      default:
        if (a.startsWith('-') && a !== '-') throw new UsageError(`Unknown option "${flag}" for snapshot-diff; see "perf-lens snapshot-diff --help".`);
        positional.push(a);
    }
  });
  if (help) return 'help';
  if (positional.length !== 3) {
    throw new UsageError(`snapshot-diff needs three heap snapshots (baseline, target, final), not ${positional.length}.`);
  }
  const files = positional.map((f) => path.resolve(cwd, f)) as [string, string, string];
  for (const f of files) {
    if (!fs.existsSync(f)) throw new UsageError(`The heap snapshot ${f} does not exist.`);
  }
  return { ...out, files };
}

function readScriptUrls(file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new UsageError(`The scripts file ${file} is not readable JSON.`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`The scripts file ${file} must hold a JSON object of script id to URL.`);
  }
  return parsed as Record<string, string>;
}

/**
 * `perf-lens snapshot-diff A B C`: parses the snapshots one after another in a worker (only
 * the ids of A and B are kept), diffs, prints the groups. Exit 0; parse errors throw
 * HeapSnapshotError (exit 1), usage errors UsageError (exit 2).
 */
export async function snapshotDiff(argv: string[], cwd: string): Promise<number> {
  const opts = parseSnapshotDiffArgs(argv, cwd);
  if (opts === 'help') {
    process.stdout.write(SNAPSHOT_DIFF_USAGE + '\n');
    return 0;
  }
  const scriptUrls = opts.scripts ? readScriptUrls(opts.scripts) : undefined;
  const parse = (f: string) => parseSnapshotFile(f, { maxHeapMb: opts.maxHeapMb });
  const idsA = (await parse(opts.files[0])).sortedIds();
  const idsB = (await parse(opts.files[1])).sortedIds();
  const final = await parse(opts.files[2]);
  const groups = diffSnapshots(idsA, idsB, final, { scriptUrls, includeInternal: opts.includeInternal });
  process.stdout.write(formatLeakGroups(groups, { top: opts.top }));
  if (opts.json) {
    const report = {
      version: 1,
      tool: { name: 'perf-lens', version: TOOL_VERSION },
      snapshots: { baseline: opts.files[0], target: opts.files[1], final: opts.files[2] },
      groups,
    };
    fs.writeFileSync(opts.json, JSON.stringify(report, null, 2) + '\n');
  }
  return 0;
}
