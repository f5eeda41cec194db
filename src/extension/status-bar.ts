import * as vscode from 'vscode';
import type { ProfilingSession } from './profiling-service';

/** `Perf Lens: N processes` while a session runs; hidden otherwise. Clicking it shows the status. */
export class ProcessStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('perfLens.processes', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: { dispose(): void };

  constructor(private readonly session: ProfilingSession) {
    this.item.name = 'Perf Lens';
    this.item.command = 'perfLens.showStatus';
    this.subscription = session.onDidChange(() => this.update());
  }

  update(): void {
    if (!this.session.running) {
      this.item.hide();
      return;
    }
    const { count, processes } = this.session.registry;
    this.item.text = `$(pulse) ${statusText(count)}`;
    this.item.tooltip = count
      ? processes.map((p) => `${p.pid}  ${p.label}`).join('\n')
      : 'Perf Lens is waiting for a Node.js process to connect';
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}

export function statusText(count: number): string {
  return `Perf Lens: ${count} ${count === 1 ? 'process' : 'processes'}`;
}
