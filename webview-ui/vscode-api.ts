import type { WebviewToHost } from '../src/protocol/chart-messages';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What the panel remembers across being hidden and shown (the data comes back from the host). */
export interface UiState {
  /** the process picked by hand; null follows the newest */
  pid: number | null;
  tab: number;
}

const api: VsCodeApi | undefined = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;

export function post(message: WebviewToHost): void {
  api?.postMessage(message);
}

export function loadState(): UiState {
  const s = (api?.getState() ?? {}) as Partial<UiState>;
  return { pid: typeof s.pid === 'number' ? s.pid : null, tab: typeof s.tab === 'number' ? s.tab : 0 };
}

export function saveState(state: UiState): void {
  api?.setState(state);
}
