import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { formatBytes } from '../../core/util/units';
import { describe, pickProcess, runAgentCommand, sentenceOf } from './take-heap-snapshot';

const COMMAND_TIMEOUT_MS = 30_000;

/**
 * Perf Lens: Watch for Leaks Now — starts V8's sampling heap profiler in the picked process at
 * once and reads its live bytes per allocation site every period while the heap rises. By
 * default the agent starts it only when its once-a-second look at the old generation sees the
 * heap grow (the profiler costs 2–5 % of CPU while it runs); a developer reproducing a leak
 * should not wait for that. Resolves with the pid.
 */
export async function watchForLeaks(ctx: CommandContext, pid?: unknown): Promise<number | undefined> {
  const proc = await pickProcess(ctx, 'watch for leaks', pid);
  if (!proc) return undefined;
  let answer: unknown;
  try {
    answer = await runAgentCommand(ctx, proc, 'startHeapSampling', {}, COMMAND_TIMEOUT_MS);
  } catch (err) {
    const text = sentenceOf(err);
    const why = /unknown command/.test(text) ? 'heap sampling is off in it (the perfLens.agent.heapSampling setting when it started).' : text;
    void vscode.window.showErrorMessage(`Perf Lens: ${describe(proc)} cannot watch for leaks: ${why}`);
    return undefined;
  }
  const { intervalBytes, wasRunning } = (answer ?? {}) as { intervalBytes?: unknown; wasRunning?: unknown };
  const every = typeof intervalBytes === 'number' ? ` every ${formatBytes(intervalBytes)} allocated` : '';
  const since = wasRunning === true ? ' (they already were)' : '';
  void vscode.window.showInformationMessage(
    `Perf Lens: watching ${describe(proc)} for leaks: its allocations are sampled${every}${since}, and a line that keeps memory shows as a finding after about a minute of growth.`,
  );
  return proc.pid;
}
