import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeSessions, formatSummary, initDetectors, toSarif, type Report, type Session } from '../core';
import type { OutputOptions } from './args';

function writeFile(file: string, base: string, content: string): void {
  const abs = path.resolve(base, file);
  try {
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
  } catch (err) {
    throw new Error(`Could not write ${file}: ${(err as Error).message}.`);
  }
}

/** Runs the detectors, writes what was asked, prints the summary; returns the exit code. */
export async function finishReport(
  sessions: readonly Session[],
  opts: OutputOptions,
  cwd: string,
): Promise<{ report: Report; exitCode: number }> {
  await initDetectors();
  const report = analyzeSessions(sessions, opts.detectors);
  if (opts.json) writeFile(opts.json, cwd, JSON.stringify(report, null, 2) + '\n');
  if (opts.sarif) writeFile(opts.sarif, cwd, JSON.stringify(toSarif(report, opts.root), null, 2) + '\n');
  process.stdout.write(formatSummary(report, opts.root) + '\n');
  const matched = report.findings.filter((f) => opts.failOn.includes(f.kind));
  if (matched.length) {
    process.stderr.write(`perf-lens: ${matched.length} finding${matched.length === 1 ? '' : 's'} of a --fail-on kind (${[...new Set(matched.map((f) => f.kind))].join(', ')}).\n`);
    return { report, exitCode: 1 };
  }
  return { report, exitCode: 0 };
}
