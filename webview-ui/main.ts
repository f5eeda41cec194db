/**
 * Charts panel front end (placeholder). The panel host and the live charts arrive with the
 * charts issue; until then this shows that the bundle loaded and tells the host it is ready.
 */
interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;
const root = document.getElementById('root') ?? document.body;
root.textContent = 'Perf Lens charts will appear here.';
vscode?.postMessage({ type: 'ready' });
