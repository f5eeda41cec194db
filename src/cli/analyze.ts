import * as fs from 'node:fs';
import { createSessionStore, readRecording } from '../core';
import type { AnalyzeOptions } from './args';
import { finishReport } from './outputs';
import { UsageError } from './usage-error';

/** `perf-lens analyze`: the same detectors and outputs over a recording. */
export async function analyze(opts: AnalyzeOptions, cwd: string): Promise<number> {
  if (!fs.existsSync(opts.recording)) throw new UsageError(`The recording ${opts.recording} does not exist.`);
  // Call sites arrive as the generated JS the app ran; findings point at the source the developer edits.
  const store = createSessionStore();
  const result = await readRecording(opts.recording, (msg) => store.ingest(msg));
  if (result.invalid) {
    process.stderr.write(`perf-lens: skipped ${result.invalid} invalid line${result.invalid === 1 ? '' : 's'} of the recording (${result.firstErrors[0]}).\n`);
  }
  if (result.messages === 0) throw new UsageError(`The recording ${opts.recording} holds no Perf Lens messages.`);
  for (const s of store.liveSessions) store.disconnected(s.pid, s.lastT);
  return (await finishReport(store.sessions, opts, cwd)).exitCode;
}
