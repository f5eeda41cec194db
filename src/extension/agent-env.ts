/** The environment that makes a Node.js process load the agent and report to our server. */
export interface AgentTarget {
  /** absolute path of dist/agent.js */
  agentPath: string;
  /** ws://127.0.0.1:PORT/ */
  url: string;
  token: string;
  /** PERF_LENS_OPTIONS (JSON): the agent's sampling settings */
  options?: string;
}

/**
 * NODE_OPTIONS, PERF_LENS_URL and PERF_LENS_TOKEN for a child or a terminal. An inherited
 * NODE_OPTIONS is kept after our `--require`, so a user's `--max-old-space-size` still applies.
 */
export function agentEnvironment(target: AgentTarget, inheritedNodeOptions?: string): Record<string, string> {
  const require = `--require ${quoteForNodeOptions(target.agentPath)}`;
  const nodeOptions = inheritedNodeOptions?.trim() ? `${require} ${inheritedNodeOptions.trim()}` : require;
  const env: Record<string, string> = { NODE_OPTIONS: nodeOptions, PERF_LENS_URL: target.url, PERF_LENS_TOKEN: target.token };
  if (target.options) env.PERF_LENS_OPTIONS = target.options;
  return env;
}

/** Node splits NODE_OPTIONS on spaces but honours double quotes with backslash escapes. */
export function quoteForNodeOptions(value: string): string {
  if (!/[\s"\\]/.test(value)) return value;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
