import * as path from 'node:path';
import * as fs from 'node:fs';

/** Files "Launch Current File with Profiling" accepts. */
export const LAUNCHABLE_EXTENSIONS = ['.js', '.cjs', '.mjs', '.ts', '.cts', '.mts'];

export interface LaunchPlan {
  /** folder the program runs in: the workspace folder of the file, else the file's folder */
  cwd: string;
  /** shell command line typed into the terminal */
  commandLine: string;
  /** shown as the terminal's name */
  title: string;
}

/**
 * How to run `file` with Node. TypeScript runs through the workspace's own `tsx` when it has
 * one, else through Node's type stripping (Node ≥ 22.6).
 */
export function launchPlan(file: string, workspaceFolder: string | undefined, platform = process.platform): LaunchPlan | string {
  const ext = path.extname(file).toLowerCase();
  if (!LAUNCHABLE_EXTENSIONS.includes(ext)) {
    return `Perf Lens launches JavaScript or TypeScript files (${LAUNCHABLE_EXTENSIONS.join(', ')}); ${path.basename(file)} is not one.`;
  }
  const cwd = workspaceFolder ?? path.dirname(file);
  const target = quoteForShell(file, platform);
  let commandLine = `node ${target}`;
  if (ext === '.ts' || ext === '.cts' || ext === '.mts') {
    const tsx = path.join(cwd, 'node_modules', '.bin', platform === 'win32' ? 'tsx.cmd' : 'tsx');
    commandLine = fs.existsSync(tsx) ? `${quoteForShell(tsx, platform)} ${target}` : `node --experimental-strip-types ${target}`;
  }
  return { cwd, commandLine, title: `Perf Lens: ${path.basename(file)}` };
}

/** Quotes a path for the user's shell: POSIX single quotes, or double quotes on Windows. */
export function quoteForShell(value: string, platform = process.platform): string {
  if (/^[\w@%+=:,./\\-]+$/.test(value)) return value;
  if (platform === 'win32') return `"${value.replace(/"/g, '""')}"`;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
