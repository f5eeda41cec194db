import { UsageError } from './usage-error';

/** One argument as the option loop sees it: its flag (`--json` of `--json=x`) and a way to take its value. */
export interface ArgToken {
  /** the argument as given */
  arg: string;
  /** the flag without an `=value` part; the argument itself for positionals */
  flag: string;
  /** the option's value: after `=`, else the next argument (never `--…`); throws UsageError */
  take(): string;
}

/**
 * Walks `argv` from `start`, handing each argument to `visit`, the one option loop of every
 * sub-command. Stops at `--` and returns what follows it (the app's command). `visit` returns
 * 'stop' to end the walk early (`--help`).
 */
export function walkArgs(argv: readonly string[], start: number, visit: (token: ArgToken) => void | 'stop'): string[] {
  for (let i = start; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return argv.slice(i + 1);
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const take = (): string => {
      if (eq > 0) {
        if (eq === arg.length - 1) throw new UsageError(`The option ${flag} needs a value.`);
        return arg.slice(eq + 1);
      }
      const v = argv[i + 1];
      // '--' is the separator before the app's command, never a value
      if (v === undefined || v === '' || v.startsWith('--')) throw new UsageError(`The option ${flag} needs a value.`);
      i++;
      return v;
    };
    if (visit({ arg, flag, take }) === 'stop') break;
  }
  return [];
}
