// Worker entry (bundled to dist/heap-worker.js): parses one snapshot and transfers the typed
// arrays back without copying.
import { parentPort, workerData } from 'node:worker_threads';
import { transferList } from './graph-data';
import { readSnapshotInThread } from './read-snapshot';

const { file } = workerData as { file: string };
readSnapshotInThread(file).then(
  (data) => parentPort!.postMessage({ ok: true, data }, transferList(data)),
  (err: Error) => parentPort!.postMessage({ ok: false, message: err.message, snapshotError: err.name === 'HeapSnapshotError' }),
);
