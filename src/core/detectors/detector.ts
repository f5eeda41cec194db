import type { Finding } from '../findings/finding';
import type { Session } from '../session/session';

/** Options of every detector, flat so CLI flags and settings map onto them one to one. */
export interface DetectorOptions {
  [key: string]: number | boolean | undefined;
}

/** A detector looks at one session and returns what it finds. Pure. */
export type SessionDetector = (session: Session, options: DetectorOptions) => Finding[];

/** Only the options a detector knows are passed on: flags and settings share one flat map. */
export function pickOptions<T extends object>(options: DetectorOptions, keys: readonly (keyof T)[]): Partial<T> {
  const out: Partial<T> = {};
  for (const k of keys) if (options[k as string] !== undefined) (out as Record<string, unknown>)[k as string] = options[k as string];
  return out;
}
