/**
 * PostgreSQL fingerprints through `libpg-query` (the real PostgreSQL parser, compiled to WASM).
 * Its sync API works only after the WASM module has loaded, which is asynchronous; until then,
 * and wherever the parser rejects the text, callers fall back to the tokenizer.
 */

interface PgQueryModule {
  loadModule(): Promise<void>;
  fingerprintSync(query: string): string;
}

let pgQuery: PgQueryModule | null = null;
let loading: Promise<boolean> | null = null;

/** Loads libpg-query once; resolves false (and the tokenizer is used) if it is unavailable. */
export function loadPgFingerprint(): Promise<boolean> {
  if (!loading) {
    loading = (async () => {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require('libpg-query') as PgQueryModule;
        await mod.loadModule();
        pgQuery = mod;
        return true;
      } catch {
        return false;
      }
    })();
  }
  return loading;
}

export function pgFingerprintReady(): boolean {
  return pgQuery !== null;
}

/** libpg-query's 16-hex-digit fingerprint, or null when not loaded or the text does not parse. */
export function pgFingerprintHash(sql: string): string | null {
  if (!pgQuery) return null;
  try {
    return pgQuery.fingerprintSync(sql);
  } catch {
    return null;
  }
}
