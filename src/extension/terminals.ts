import * as vscode from 'vscode';
import { agentEnvironment, type AgentTarget } from './agent-env';

/**
 * Terminals whose environment loads the agent, like the JavaScript Debug Terminal: every
 * `node`, `npm start` or test runner started in one reports to the session (children too,
 * since they inherit NODE_OPTIONS). Stop closes them: their variables point at a closed server.
 */
export class ProfilingTerminals implements vscode.Disposable {
  private readonly open = new Set<vscode.Terminal>();
  private readonly subscription = vscode.window.onDidCloseTerminal((t) => this.open.delete(t));

  create(name: string, cwd: string | undefined, target: AgentTarget): vscode.Terminal {
    const terminal = vscode.window.createTerminal({
      name,
      cwd,
      env: agentEnvironment(target, process.env.NODE_OPTIONS),
      iconPath: new vscode.ThemeIcon('pulse'),
    });
    this.open.add(terminal);
    return terminal;
  }

  closeAll(): void {
    for (const t of this.open) t.dispose();
    this.open.clear();
  }

  dispose(): void {
    this.subscription.dispose();
    this.open.clear();
  }
}
