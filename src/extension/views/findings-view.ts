import * as vscode from 'vscode';
import type { Finding } from '../../core/findings/finding';
import { findingRow, groupFindings, type FindingGroup } from './tree-model';

export interface GroupNode {
  type: 'group';
  kind: string;
  group: FindingGroup;
}

export interface FindingNode {
  type: 'finding';
  key: string;
  finding: Finding;
  parent: GroupNode;
}

export type FindingsTreeNode = GroupNode | FindingNode;

const SEVERITY_ICON = { error: 'error', warning: 'warning', info: 'info' } as const;

/**
 * The "Findings" view: findings grouped by kind; a click opens the line. Nodes are kept
 * between updates (by kind and by finding key) so `reveal` and expansion state survive.
 */
export class FindingsViewProvider implements vscode.TreeDataProvider<FindingsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private groups: GroupNode[] = [];
  private readonly leaves = new Map<string, FindingNode>();

  constructor(private readonly root: () => string | undefined) {}

  update(findings: readonly Finding[]): void {
    const oldGroups = new Map(this.groups.map((g) => [g.kind, g]));
    const seen = new Set<string>();
    this.groups = groupFindings(findings).map((group) => {
      const node = oldGroups.get(group.kind) ?? { type: 'group', kind: group.kind, group };
      node.group = group;
      for (const f of group.findings) {
        const key = `${f.pid}:${f.id}`;
        seen.add(key);
        const leaf = this.leaves.get(key);
        if (leaf) Object.assign(leaf, { finding: f, parent: node });
        else this.leaves.set(key, { type: 'finding', key, finding: f, parent: node });
      }
      return node;
    });
    for (const key of [...this.leaves.keys()]) if (!seen.has(key)) this.leaves.delete(key);
    this.changed.fire();
  }

  node(key: string): FindingNode | undefined {
    return this.leaves.get(key);
  }

  getChildren(element?: FindingsTreeNode): FindingsTreeNode[] {
    if (!element) return this.groups;
    if (element.type === 'finding') return [];
    return element.group.findings.map((f) => this.leaves.get(`${f.pid}:${f.id}`)!).filter(Boolean);
  }

  getParent(element: FindingsTreeNode): FindingsTreeNode | undefined {
    return element.type === 'finding' ? element.parent : undefined;
  }

  getTreeItem(node: FindingsTreeNode): vscode.TreeItem {
    if (node.type === 'group') {
      const item = new vscode.TreeItem(node.group.label, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `kind:${node.kind}`;
      item.iconPath = new vscode.ThemeIcon(SEVERITY_ICON[node.group.severity]);
      item.contextValue = 'perfLens.findingGroup';
      return item;
    }
    const f = node.finding;
    const row = findingRow(f, this.root());
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.id = node.key;
    item.description = row.description;
    item.tooltip = row.tooltip;
    item.iconPath = new vscode.ThemeIcon(SEVERITY_ICON[f.severity]);
    item.contextValue = typeof f.data.sample === 'string' ? 'perfLens.queryFinding' : 'perfLens.finding';
    if (f.location) {
      const at = new vscode.Range(f.location.line - 1, Math.max(0, f.location.column - 1), f.location.line - 1, Math.max(0, f.location.column - 1));
      item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(f.location.file), { selection: at, preview: true }] };
    }
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
