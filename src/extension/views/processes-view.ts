import * as vscode from 'vscode';
import type { ConnectedProcess } from '../processes';
import type { ProfilingSession } from '../profiling-service';
import { processRow, type ProcessLiveFacts } from './tree-model';

/** Live numbers of a connected process from the session store. */
export function liveFacts(session: ProfilingSession, pid: number): ProcessLiveFacts {
  const s = session.store.get(pid);
  if (!s) return {};
  return { heapUsed: s.memory.last()?.heapUsed, startedAt: s.hello ? s.startedAt : undefined, command: s.hello ? s.command : undefined };
}

/**
 * The "Processes" view of the Perf Lens side bar: one row per connected process with its live
 * heap and uptime, refreshed once a second while the view shows processes.
 */
export class ProcessesViewProvider implements vscode.TreeDataProvider<ConnectedProcess>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: { dispose(): void };
  private timer: NodeJS.Timeout | null = null;
  /** set by the extension once the TreeView exists: ticking stops while it is hidden */
  isVisible: () => boolean = () => true;

  constructor(private readonly session: ProfilingSession) {
    this.subscription = session.registry.onDidChange(() => this.refresh());
  }

  /** Redraws now and ticks once a second while there are processes to show. */
  refresh(): void {
    this.changed.fire();
    const ticking = this.session.registry.count > 0 && this.isVisible();
    if (ticking && !this.timer) {
      this.timer = setInterval(() => this.refresh(), 1000);
      this.timer.unref?.();
    } else if (!ticking && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  getChildren(element?: ConnectedProcess): ConnectedProcess[] {
    return element ? [] : this.session.registry.processes;
  }

  getTreeItem(p: ConnectedProcess): vscode.TreeItem {
    const row = processRow(p, liveFacts(this.session, p.pid), Date.now());
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.id = `pid:${p.pid}:${p.connectedAt}`;
    item.description = row.description;
    item.iconPath = new vscode.ThemeIcon('pulse');
    item.tooltip = new vscode.MarkdownString(row.tooltip);
    item.contextValue = 'perfLens.process';
    return item;
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.subscription.dispose();
    this.changed.dispose();
  }
}
