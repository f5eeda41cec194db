import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { CHART_UPDATE_MS, ChartFeed, type FindingRow, type HostToWebview } from '../../core/charts/chart-feed';
import type { Finding } from '../../core/findings/finding';
import type { SessionStore } from '../../core/session/session-store';
import { currentFindings, type ChartSource, type Disposable } from './chart-source';
import { resolveOpenRequest } from './open-guard';
import { renderPanelHtml } from './panel-html';

export const CHARTS_VIEW_TYPE = 'perfLens.charts';

function findingRows(findings: readonly Finding[]): FindingRow[] {
  return findings.map((f) => ({ id: f.id, kind: f.kind, severity: f.severity, message: f.message, pid: f.pid, location: f.location }));
}

/**
 * The live charts panel. The host owns the series (a bounded ChartFeed), so the webview can be
 * thrown away when hidden (no retainContextWhenHidden): when it (re)loads it posts 'ready' and
 * gets everything back in one 'reset', then an 'append' every CHART_UPDATE_MS (100 ms) in which
 * something changed, and none otherwise. The page draws at most once per animation frame.
 */
export class ChartsPanel {
  private static current: ChartsPanel | undefined;

  private readonly feed = new ChartFeed();
  private readonly disposables: Disposable[] = [];
  private store: SessionStore | null = null;
  private storeLink: Disposable | null = null;
  private ready = false;
  private readonly timer: ReturnType<typeof setInterval>;

  static show(context: vscode.ExtensionContext, source: ChartSource): ChartsPanel {
    if (ChartsPanel.current) {
      ChartsPanel.current.panel.reveal();
      return ChartsPanel.current;
    }
    const root = context.extensionUri ?? vscode.Uri.file(context.extensionPath);
    const panel = vscode.window.createWebviewPanel(CHARTS_VIEW_TYPE, 'Perf Lens: Live Charts', vscode.ViewColumn.Beside, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(root, 'dist'), vscode.Uri.joinPath(root, 'media')],
    });
    ChartsPanel.current = new ChartsPanel(panel, root, source);
    return ChartsPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    root: vscode.Uri,
    private readonly source: ChartSource,
  ) {
    const webview = panel.webview;
    const uri = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(root, ...parts)).toString();
    panel.iconPath = vscode.Uri.joinPath(root, 'media', 'perf-lens.svg');
    webview.html = renderPanelHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: uri('dist', 'webview.js'),
      styleUri: uri('media', 'charts.css'),
      codiconUri: uri('dist', 'codicons', 'codicon.css'),
    });
    this.linkStore();
    this.disposables.push(
      webview.onDidReceiveMessage((msg: unknown) => this.receive(msg)),
      // A hidden webview is destroyed; it says 'ready' again when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
      source.onDidChangeFindings(() => this.post({ type: 'findings', findings: findingRows(currentFindings(source)) })),
      panel.onDidDispose(() => this.dispose()),
    );
    this.timer = setInterval(() => this.pump(), CHART_UPDATE_MS);
  }

  /** Follows the source's current store (a new run may bring a new one). */
  private linkStore(): void {
    const store = this.source.store ?? null;
    if (store === this.store) return;
    this.storeLink?.dispose();
    this.store = store;
    this.storeLink = store ? this.feed.attach(store) : null;
  }

  private pump(): void {
    this.linkStore();
    // No page to draw: what is new waits in the feed (bounded) and goes out in the next reset.
    if (!this.ready) return;
    const update = this.feed.takeUpdate(Date.now());
    if (update) this.post(update); // null when nothing changed: no empty messages
  }

  private post(message: HostToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private receive(msg: unknown): void {
    const type = (msg as { type?: unknown } | null)?.type;
    if (type === 'ready') {
      this.ready = true;
      this.feed.takeUpdate(Date.now()); // what is pending is in the snapshot too
      this.post({ type: 'reset', ...this.feed.snapshot(), findings: findingRows(currentFindings(this.source)) });
    } else if (type === 'open') {
      const loc = resolveOpenRequest(msg, currentFindings(this.source));
      if (!loc) return;
      const at = new vscode.Position(Math.max(0, loc.line - 1), Math.max(0, loc.column - 1));
      void vscode.window.showTextDocument(vscode.Uri.file(loc.file), {
        selection: new vscode.Range(at, at),
        viewColumn: vscode.ViewColumn.One,
      });
    }
  }

  dispose(): void {
    if (ChartsPanel.current === this) ChartsPanel.current = undefined;
    clearInterval(this.timer);
    this.storeLink?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
