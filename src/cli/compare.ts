import * as fs from 'node:fs';
import * as path from 'node:path';
import { CompareError, compareReports, formatComparisonMarkdown, formatComparisonText, type ReportWithFigures } from '../core/report';
import { USAGE } from './args';
import { walkArgs } from './argv';
import { UsageError } from './usage-error';

export interface CompareArgs {
  base: string;
  head: string;
  markdown?: string;
  failOnRegression: boolean;
  /** smallest relative change that matters, 0..1 */
  minChange?: number;
}

/** Parses `perf-lens compare …` (after the word compare). Throws UsageError. */
export function parseCompareArgs(argv: string[]): CompareArgs {
  const files: string[] = [];
  const out: Partial<CompareArgs> & { failOnRegression: boolean } = { failOnRegression: false };
  walkArgs(argv, 0, ({ arg: a, flag, take }) => {
    if (flag === '--markdown') out.markdown = take();
    else if (flag === '--fail-on-regression') out.failOnRegression = true;
    else if (flag === '--min-change') {
      const raw = take();
      const pct = Number(raw.replace(/%$/, ''));
      if (!Number.isFinite(pct) || pct < 0 || pct > 1000) throw new UsageError(`The option --min-change needs a percentage such as 10, not "${raw}".`);
      out.minChange = pct / 100;
    } else if (a.startsWith('-')) throw new UsageError(`Unknown option "${flag}" for compare; see "perf-lens --help".`);
    else files.push(a);
  });
  if (files.length !== 2) throw new UsageError('compare needs two report files: perf-lens compare base.json head.json.');
  return { ...out, base: files[0], head: files[1] };
}

function readReport(file: string, cwd: string): ReportWithFigures {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(cwd, file), 'utf8');
  } catch {
    throw new UsageError(`The report ${file} cannot be read.`);
  }
  try {
    return JSON.parse(text) as ReportWithFigures;
  } catch {
    throw new UsageError(`The report ${file} is not valid JSON.`);
  }
}

/**
 * `perf-lens compare base.json head.json`: prints the change of every key figure per route and
 * overall with a noise-aware verdict, and new and fixed findings. Exit 1 on a regression with
 * --fail-on-regression, else 0; 2 on bad usage.
 */
export async function compare(argv: string[], cwd: string): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const args = parseCompareArgs(argv);
  const base = readReport(args.base, cwd);
  const head = readReport(args.head, cwd);
  let result;
  try {
    result = compareReports(base, head, { minRelativeChange: args.minChange }, [args.base, args.head]);
  } catch (err) {
    if (err instanceof CompareError) throw new UsageError(err.message);
    throw err;
  }
  const names: [string, string] = [args.base, args.head];
  process.stdout.write(formatComparisonText(result, cwd, names) + '\n');
  if (args.markdown) {
    const abs = path.resolve(cwd, args.markdown);
    try {
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.writeFileSync(abs, formatComparisonMarkdown(result, cwd, names));
    } catch (err) {
      throw new Error(`Could not write ${args.markdown}: ${(err as Error).message}.`);
    }
  }
  if (args.failOnRegression && result.regressions > 0) {
    process.stderr.write(`perf-lens: ${result.regressions} regression${result.regressions === 1 ? '' : 's'} against ${args.base}.\n`);
    return 1;
  }
  return 0;
}
