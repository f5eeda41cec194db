import * as fs from 'node:fs';
import { inspectorSession } from './inspector-session';
import * as path from 'node:path';
import type { AgentContext } from './context';

/**
 * `heapSnapshot` command: V8's heap snapshot, streamed chunk by chunk from the in-process
 * inspector to `args.path`. It is written under `<path>.partial` and renamed only once whole,
 * so a reader never sees half a snapshot under the real name; on any failure the partial
 * file is deleted and the command fails with one sentence. If the process is killed while it
 * writes, nothing in it can clean up: the next snapshot to the same path removes the stale
 * partial, and the requester (which sees the connection close unanswered) may remove it too.
 */
export function installHeapSnapshot(ctx: AgentContext): void {
  ctx.onCommand?.('heapSnapshot', (args) => writeHeapSnapshot(args.path));
}

export interface HeapSnapshotResult {
  path: string;
  bytes: number;
  durationMs: number;
}

/** Where a snapshot to `file` is written until it is complete. */
export function partialPathOf(file: string): string {
  return `${file}.partial`;
}

/** Chunks are gathered to this size before each write: fewer syscalls, bounded memory. */
const WRITE_BYTES = 1024 * 1024;
let busy = false;

export function writeHeapSnapshot(target: unknown): Promise<HeapSnapshotResult> {
  if (typeof target !== 'string' || target === '' || !path.isAbsolute(target)) {
    return Promise.reject(new Error('The heapSnapshot command needs an absolute file path in args.path.'));
  }
  if (busy) return Promise.reject(new Error('A heap snapshot is already being written in this process.'));
  const file = path.normalize(target);
  const partial = partialPathOf(file);
  let fd: number;
  try {
    fs.rmSync(partial, { force: true }); // left by a process killed while it wrote
    fd = fs.openSync(partial, 'wx'); // exclusive: never follows a link planted under that name
  } catch (err) {
    return Promise.reject(new Error(`Could not create ${partial}: ${reasonOf(err)}.`));
  }
  busy = true;
  const started = performance.now();
  const sink = new ChunkSink(fd);
  return takeSnapshot((chunk) => sink.add(chunk))
    .then(() => sink.finish())
    .then(
      () => {
        busy = false;
        const failure = sink.error;
        if (failure) throw failure;
        fs.renameSync(partial, file);
        return { path: file, bytes: sink.bytes, durationMs: performance.now() - started };
      },
      (err: unknown) => {
        busy = false;
        sink.closeQuietly();
        throw new Error(`The heap snapshot failed: ${reasonOf(err)}.`);
      },
    )
    .catch((err: unknown) => {
      try {
        fs.rmSync(partial, { force: true });
      } catch {
        /* the sentence below is what matters */
      }
      throw err instanceof Error ? err : new Error(String(err));
    });
}

/** Writes chunks synchronously (the snapshot blocks the app anyway; async would buffer it all). */
class ChunkSink {
  private pending: string[] = [];
  private pendingBytes = 0;
  private closed = false;
  bytes = 0;
  error: Error | null = null;

  constructor(private readonly fd: number) {}

  add(chunk: string): void {
    if (this.error) return; // the snapshot cannot be stopped; the rest is ignored
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= WRITE_BYTES) this.write();
  }

  /** Writes what is left and closes; a failure is left in `error`. */
  finish(): void {
    if (!this.error) this.write();
    this.closeQuietly();
  }

  closeQuietly(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      fs.closeSync(this.fd);
    } catch (err) {
      this.error ??= new Error(`Could not write the heap snapshot: ${reasonOf(err)}.`);
    }
  }

  private write(): void {
    if (this.pending.length === 0) return;
    const buf = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    try {
      for (let off = 0; off < buf.length; ) off += fs.writeSync(this.fd, buf, off, buf.length - off);
      this.bytes += buf.length;
    } catch (err) {
      this.error = new Error(`Could not write the heap snapshot: ${reasonOf(err)}.`);
    }
  }
}

function takeSnapshot(onChunk: (chunk: string) => void): Promise<void> {
  const session = inspectorSession();
  const listener = (m: { params: { chunk: string } }) => onChunk(m.params.chunk);
  session.on('HeapProfiler.addHeapSnapshotChunk', listener);
  return new Promise<void>((resolve, reject) => {
    session.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false }, (err) => {
      // Settle on the next turn: a post() made inside a post callback never completes on Node 20.
      // The session stays connected: its disconnect would renumber every heap object.
      setImmediate(() => {
        session.off('HeapProfiler.addHeapSnapshotChunk', listener);
        if (err) reject(err);
        else resolve();
      });
    });
  });
}

function reasonOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string') return `${e.code} (${e.message.replace(/\.$/, '')})`;
  return err instanceof Error ? err.message.replace(/\.$/, '') : String(err);
}
