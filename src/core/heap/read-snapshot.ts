import * as fs from 'node:fs';
import { HeapSnapshotError } from './errors';
import type { HeapGraphData } from './graph-data';
import { SnapshotReader } from './snapshot-reader';

const CHUNK = 1 << 20;

/** One sentence for a file that cannot be opened. */
export function fileErrorSentence(file: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return `The heap snapshot ${file} does not exist.`;
  if (err.code === 'EISDIR') return `The heap snapshot ${file} is a directory, not a file.`;
  if (err.code === 'EACCES' || err.code === 'EPERM') return `The heap snapshot ${file} cannot be read (permission denied).`;
  return `The heap snapshot ${file} cannot be read (${err.code ?? err.message}).`;
}

/**
 * Parses a .heapsnapshot in this thread, reading 1 MiB at a time into one reused buffer (larger reads were no faster and count in peak RSS), so
 * memory holds the typed arrays and never the file's text. Throws HeapSnapshotError with one
 * sentence naming the file.
 */
export async function readSnapshotInThread(file: string): Promise<HeapGraphData> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (err) {
    throw new HeapSnapshotError(fileErrorSentence(file, err as NodeJS.ErrnoException));
  }
  try {
    const size = (await fh.stat()).size;
    if (size === 0) throw new HeapSnapshotError(`The heap snapshot ${file} is empty.`);
    const reader = new SnapshotReader(size);
    const buf = Buffer.allocUnsafeSlow(CHUNK);
    for (;;) {
      let n: number;
      try {
        ({ bytesRead: n } = await fh.read(buf, 0, CHUNK, null));
      } catch (err) {
        throw new HeapSnapshotError(fileErrorSentence(file, err as NodeJS.ErrnoException));
      }
      if (n === 0) break;
      reader.push(n === CHUNK ? buf : buf.subarray(0, n));
    }
    return reader.end();
  } catch (err) {
    if (err instanceof HeapSnapshotError && !err.message.startsWith('The heap snapshot')) {
      const what = err.message.startsWith('truncated') ? err.message : `not valid: ${err.message}`;
      throw new HeapSnapshotError(`The heap snapshot ${file} is ${what}.`);
    }
    if (err instanceof RangeError) {
      throw new HeapSnapshotError(`The heap snapshot ${file} is too large to parse here (${err.message}).`);
    }
    throw err;
  } finally {
    await fh.close();
  }
}
