/** A heap snapshot that cannot be read or is not a valid V8 snapshot; the message is one sentence. */
export class HeapSnapshotError extends Error {
  override name = 'HeapSnapshotError';
}
