import { TOOL_VERSION } from '../core';
import { analyze } from './analyze';
import { parseArgs, USAGE } from './args';
import { compare } from './compare';
import { loadBudget } from './outputs';
import { run } from './run';
import { snapshotDiff } from './snapshot-diff';
import { StartError, UsageError } from './usage-error';

async function main(): Promise<number> {
  const cwd = process.cwd();
  const argv = process.argv.slice(2);
  if (argv[0] === 'snapshot-diff') return snapshotDiff(argv.slice(1), cwd);
  if (argv[0] === 'compare') return compare(argv.slice(1), cwd);
  const parsed = parseArgs(process.argv.slice(2), cwd);
  // A malformed budget stops before the app starts (exit 2), not after a long run.
  if ((parsed.kind === 'run' || parsed.kind === 'analyze') && parsed.options.budget) loadBudget(parsed.options.budget, cwd);
  switch (parsed.kind) {
    case 'help':
      process.stdout.write(USAGE + '\n');
      return 0;
    case 'version':
      process.stdout.write(TOOL_VERSION + '\n');
      return 0;
    case 'run':
      return run(parsed.options, cwd);
    case 'analyze':
      return analyze(parsed.options, cwd);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    const sentence = err.message.endsWith('.') ? err.message : `${err.message}.`;
    process.stderr.write(`perf-lens: ${sentence}\n`);
    process.exitCode = err instanceof UsageError ? 2 : err instanceof StartError ? 3 : 1;
  },
);
