/** Why an attach failed; `message` is one sentence a user can act on. */
export type AttachErrorCode =
  | 'gone'
  | 'not-node'
  | 'own-process'
  | 'permission'
  | 'sigusr1-disabled'
  | 'non-loopback'
  | 'no-http'
  | 'port-busy'
  | 'timeout'
  | 'wrong-process'
  | 'inject-failed';

export class AttachError extends Error {
  override readonly name = 'AttachError';
  constructor(
    readonly code: AttachErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** EACCES/EPERM from /proc or kill(): the process belongs to another user. */
export function isPermissionError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

export function isGoneError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ESRCH' || code === 'ENOENT';
}
