import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { HeapSnapshotError } from './errors';
import type { HeapGraphData } from './graph-data';
import { HeapGraph } from './heap-graph';
import { readSnapshotInThread } from './read-snapshot';

export interface ParseOptions {
  /** true: parse in a worker thread (an error if its script is missing); false: in this thread; default: a worker when its script is there. */
  worker?: boolean;
  /** The worker's old-generation limit; the typed arrays live outside it. Default 2048. */
  maxHeapMb?: number;
  /** Where the bundled worker script is; default heap-worker.js beside this bundle. */
  workerScript?: string;
}

/** The bundled worker's path: dist/heap-worker.js sits beside dist/core.js and dist/cli.js. */
export function defaultWorkerScript(): string {
  return path.join(__dirname, 'heap-worker.js');
}

/** Parses a .heapsnapshot as a stream (files over 512 MB work) into a HeapGraph. */
export async function parseSnapshotFile(file: string, opts: ParseOptions = {}): Promise<HeapGraph> {
  const script = opts.workerScript ?? defaultWorkerScript();
  const useWorker = opts.worker ?? fs.existsSync(script);
  const data = useWorker ? await parseInWorker(file, script, opts.maxHeapMb ?? 2048) : await readSnapshotInThread(file);
  return new HeapGraph(data);
}

function parseInWorker(file: string, script: string, maxHeapMb: number): Promise<HeapGraphData> {
  if (!fs.existsSync(script)) {
    return Promise.reject(new Error(`The heap snapshot worker ${script} is missing; build it or parse with worker: false.`));
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const worker = new Worker(script, {
      workerData: { file },
      resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
      stdout: false,
      stderr: false,
    });
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.once('message', (msg: { ok: true; data: HeapGraphData } | { ok: false; message: string; snapshotError: boolean }) => {
      settle(() => {
        if (msg.ok) resolve(msg.data);
        else reject(msg.snapshotError ? new HeapSnapshotError(msg.message) : new Error(msg.message));
      });
    });
    worker.once('error', (err: Error & { code?: string }) => {
      settle(() => {
        const oom = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
        reject(new HeapSnapshotError(oom
          ? `Parsing the heap snapshot ${file} ran out of memory in its worker (limit ${maxHeapMb} MB); raise the limit.`
          : `Parsing the heap snapshot ${file} failed in its worker (${err.message}).`));
      });
    });
    worker.once('exit', (code) => {
      settle(() => reject(new HeapSnapshotError(`Parsing the heap snapshot ${file} stopped: its worker exited with code ${code}.`)));
    });
  });
}
