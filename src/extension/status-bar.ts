import * as vscode from 'vscode';
import type { ProfilingSession } from './profiling-service';
import { liveFacts } from './views/processes-view';
import { processRow, statusBarText, statusBarTooltip, type StatusFacts } from './views/tree-model';

/** The command a click on the status bar item runs. */
export const STATUS_BAR_COMMAND = 'perfLens.showCharts';

/**
 * `$(pulse) 2 · 84 MB · 3 findings` while a session runs or findings are kept; hidden
 * otherwise. The heap is re-read once a second while processes are connected.
 */
export class ProcessStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('perfLens.processes', vscode.StatusBarAlignment.Left, 50);
  private readonly subscriptions: { dispose(): void }[];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly session: ProfilingSession) {
    this.item.name = 'Perf Lens';
    this.item.command = STATUS_BAR_COMMAND;
    this.subscriptions = [session.onDidChange(() => this.update()), session.onDidChangeFindings(() => this.update())];
  }

  facts(): StatusFacts {
    const { running, registry } = this.session;
    let heap: number | null = null;
    if (running) {
      for (const p of registry.processes) {
        const used = liveFacts(this.session, p.pid).heapUsed;
        if (used !== undefined) heap = (heap ?? 0) + used;
      }
    }
    return { running, processes: running ? registry.count : 0, heapBytes: heap, findings: this.session.findings.length };
  }

  update(): void {
    const facts = this.facts();
    const text = statusBarText(facts);
    const ticking = facts.running && facts.processes > 0;
    if (ticking && !this.timer) {
      this.timer = setInterval(() => this.update(), 1000);
      this.timer.unref?.();
    } else if (!ticking && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    if (text === null) {
      this.item.hide();
      return;
    }
    const now = Date.now();
    const rows = facts.running ? this.session.registry.processes.map((p) => processRow(p, liveFacts(this.session, p.pid), now)) : [];
    this.item.text = text;
    this.item.tooltip = statusBarTooltip(facts, rows);
    this.item.show();
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
