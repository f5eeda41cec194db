import * as vscode from 'vscode';
import type { ConnectedProcess, ProcessRegistry } from '../processes';

/** The "Processes" view of the Perf Lens side bar: one row per connected process. */
export class ProcessesViewProvider implements vscode.TreeDataProvider<ConnectedProcess>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: { dispose(): void };

  constructor(private readonly registry: ProcessRegistry) {
    this.subscription = registry.onDidChange(() => this.changed.fire());
  }

  getChildren(element?: ConnectedProcess): ConnectedProcess[] {
    return element ? [] : this.registry.processes;
  }

  getTreeItem(p: ConnectedProcess): vscode.TreeItem {
    const item = new vscode.TreeItem(p.label, vscode.TreeItemCollapsibleState.None);
    item.description = `pid ${p.pid}`;
    item.iconPath = new vscode.ThemeIcon('pulse');
    item.tooltip = new vscode.MarkdownString(
      [`**${p.label}**`, `pid ${p.pid} · Node ${p.nodeVersion} · ${p.via === 'attach' ? 'attached' : 'launched'}`, `\`${p.cwd}\``].join('\n\n'),
    );
    item.contextValue = 'perfLens.process';
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
