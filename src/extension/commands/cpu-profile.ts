import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { describe, outputFile, pickProcess, runAgentCommand, sentenceOf } from './take-heap-snapshot';

const COMMAND_TIMEOUT_MS = 60_000;

/**
 * Processes whose CPU profile this window started and has not stopped, by pid. A process that
 * has since gone simply drops out of the pick (see `profiling`).
 */
const started = new Set<number>();

function profiling(ctx: CommandContext): (p: { pid: number }) => boolean {
  const live = new Set(ctx.session.registry.processes.map((p) => p.pid));
  for (const pid of started) if (!live.has(pid)) started.delete(pid);
  return (p) => started.has(p.pid);
}

/**
 * Perf Lens: Start CPU Profile — V8's sampling profiler in the picked process, until
 * Stop CPU Profile (or the notification's button). Resolves with the pid.
 */
export async function startCpuProfile(ctx: CommandContext, pid?: unknown): Promise<number | undefined> {
  const isProfiling = profiling(ctx);
  const proc = await pickProcess(ctx, 'start a CPU profile', pid, (p) => !isProfiling(p));
  if (!proc) return undefined;
  try {
    await runAgentCommand(ctx, proc, 'startCpuProfile', {}, COMMAND_TIMEOUT_MS);
  } catch (err) {
    const text = sentenceOf(err);
    // Started from another window or before a reload: it is ours to stop now.
    if (/already running/.test(text)) started.add(proc.pid);
    void vscode.window.showErrorMessage(`Perf Lens: the CPU profile of ${describe(proc)} did not start: ${text}`);
    return undefined;
  }
  started.add(proc.pid);
  void vscode.window
    .showInformationMessage(`Perf Lens: CPU profile of ${describe(proc)} started.`, 'Stop and Open')
    .then((choice) => (choice === 'Stop and Open' ? vscode.commands.executeCommand('perfLens.stopCpuProfile', proc.pid) : undefined));
  return proc.pid;
}

/**
 * Perf Lens: Stop CPU Profile — stops the profile of the picked process, writes a .cpuprofile
 * and opens it in VS Code's profile viewer. Resolves with its path.
 */
export async function stopCpuProfile(ctx: CommandContext, pid?: unknown): Promise<string | undefined> {
  const isProfiling = profiling(ctx);
  if (pid === undefined && !ctx.session.registry.processes.some(isProfiling)) {
    void vscode.window.showErrorMessage('Perf Lens: no CPU profile is running. Start one with "Perf Lens: Start CPU Profile".');
    return undefined;
  }
  const proc = await pickProcess(ctx, 'stop its CPU profile', pid, isProfiling);
  if (!proc) return undefined;
  let file: string;
  try {
    file = outputFile(proc, '.cpuprofile');
  } catch (err) {
    void vscode.window.showErrorMessage(`Perf Lens: the profile folder cannot be created: ${sentenceOf(err)}`);
    return undefined;
  }
  try {
    await runAgentCommand(ctx, proc, 'stopCpuProfile', { path: file }, COMMAND_TIMEOUT_MS);
  } catch (err) {
    // The agent stopped its profiler whatever went wrong (except a bad path, which we never send).
    started.delete(proc.pid);
    void vscode.window.showErrorMessage(`Perf Lens: the CPU profile of ${describe(proc)} could not be written: ${sentenceOf(err)}`);
    return undefined;
  }
  started.delete(proc.pid);
  await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
  return file;
}
