import type { CdpClient } from './cdp';

/** What the injected expression reports back from inside the target. */
export interface InjectOutcome {
  state: 'started' | 'already' | 'refused' | 'not-ready' | 'no-require' | 'wrong-pid';
  pid?: number;
  nodeVersion?: string;
}

export interface InjectConfig {
  agentPath: string;
  url: string;
  token: string;
  options?: Record<string, unknown>;
  /** the pid we meant: nothing is loaded into any other process */
  expectedPid: number;
}

/** The agent marks itself on globalThis under this symbol (see src/agent/index.ts). */
const AGENT_MARK = 'perf-lens.agent';

/**
 * The expression evaluated in the target. `require` comes from the inspector's command-line
 * API (CommonJS and ESM apps alike, measured on Node 20, 22, 24); `createRequire` through
 * process.getBuiltinModule (Node ≥ 20.16) is preferred where it exists, since the path is
 * absolute either way. dist/agent.js is CommonJS, so require() loads it in an ESM app too.
 */
export function injectionExpression(cfg: InjectConfig): string {
  const config = JSON.stringify({ url: cfg.url, token: cfg.token, options: cfg.options, via: 'attach' });
  return `(() => {
  if (typeof process === 'undefined') return { state: 'not-ready' };
  const mark = Symbol.for(${JSON.stringify(AGENT_MARK)});
  const base = { pid: process.pid, nodeVersion: process.version };
  if (process.pid !== ${cfg.expectedPid}) return { state: 'wrong-pid', ...base };
  if (globalThis[mark]) return { state: 'already', ...base };
  const agentPath = ${JSON.stringify(cfg.agentPath)};
  let load;
  if (typeof process.getBuiltinModule === 'function') load = process.getBuiltinModule('module').createRequire(agentPath);
  else if (typeof require === 'function') load = require;
  if (!load) return { state: 'no-require', ...base };
  const started = load(agentPath).start(${config});
  return { state: started ? 'started' : globalThis[mark] ? 'already' : 'refused', ...base };
})()`;
}

/**
 * Closes the inspector server inside the target a moment after our session has gone, so the
 * app is left as it was before SIGUSR1 (measured: the port closes and a later SIGUSR1 opens it
 * again, Node 20/22/24). `close()` blocks until every client is gone, hence the timer.
 */
export const CLOSE_INSPECTOR_EXPRESSION = `(() => {
  const inspector = typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('inspector') : require('inspector');
  setTimeout(() => { try { inspector.close(); } catch {} }, 50).unref();
  return true;
})()`;

/** Runtime.evaluate with the command-line API; returns the value or throws the exception's text. */
export async function evaluate(cdp: CdpClient, expression: string, timeoutMs: number): Promise<unknown> {
  const reply = await cdp.send(
    'Runtime.evaluate',
    { expression, includeCommandLineAPI: true, returnByValue: true, awaitPromise: true },
    timeoutMs,
  );
  const details = reply.exceptionDetails as { text?: string; exception?: { description?: string } } | undefined;
  const first = details?.exception?.description?.split('\n')[0]?.replace(/^Error: /, '');
  if (details) throw new Error(first ?? details.text ?? 'exception');
  return (reply.result as { value?: unknown } | undefined)?.value;
}

/** Injects the agent, retrying while the target's realm is still starting (no `process` yet). */
export async function injectAgent(cdp: CdpClient, cfg: InjectConfig, deadline: number): Promise<InjectOutcome> {
  const expression = injectionExpression(cfg);
  for (;;) {
    const left = Math.max(1000, deadline - Date.now());
    const outcome = (await evaluate(cdp, expression, left)) as InjectOutcome | undefined;
    if (outcome && outcome.state !== 'not-ready') return outcome;
    if (Date.now() > deadline) return outcome ?? { state: 'not-ready' };
    await new Promise((r) => setTimeout(r, 100));
  }
}
