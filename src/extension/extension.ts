import * as vscode from 'vscode';
import * as path from 'node:path';
import { COMMANDS, type FindingsUi } from './commands';
import { ProfilingService, type ServiceSettings } from './profiling-service';
import { ProfilingTerminals } from './terminals';
import { ProcessStatusBar } from './status-bar';
import { ProcessesViewProvider } from './views/processes-view';
import { FindingsViewProvider } from './views/findings-view';
import { FindingDiagnostics } from './findings/diagnostics';
import { FindingCodeActions, FindingHoverProvider } from './findings/editor-providers';
import { editorLineReader, openDocumentText } from './findings/source-text';
import { agentOptionsFrom, analysisIntervalFrom, booleanSetting, detectorOptionsFrom, sessionLimitsFrom } from './settings';
import { BudgetAlerts } from './report/budget-alerts';
import { MetricsExport, metricsPortFrom } from './metrics-export';

let service: ProfilingService | undefined;

/** `perfLens.*` settings, read again on every use so changes apply live. */
function serviceSettings(): ServiceSettings {
  const get = (key: string) => vscode.workspace.getConfiguration('perfLens').get(key);
  return {
    detectorOptions: () => detectorOptionsFrom(get('detectors')),
    keepFindingsAfterSessionEnds: () => booleanSetting(get, 'keepFindingsAfterSessionEnds', true),
    analysisIntervalMs: () => analysisIntervalFrom(get),
    agentOptions: () => agentOptionsFrom(get),
    sessionLimits: () => sessionLimitsFrom(get),
    readSource: openDocumentText,
  };
}

/**
 * Activated by its commands and its views only. Nothing here starts a server or loads `ws`
 * or the detectors: that happens on the first launch or terminal (ProfilingService.ensureStarted).
 */
export function activate(context: vscode.ExtensionContext): void {
  const settings = serviceSettings();
  service = new ProfilingService(path.join(context.extensionPath, 'dist', 'agent.js'), settings);
  const session = service;
  const terminals = new ProfilingTerminals();
  const diagnostics = new FindingDiagnostics(editorLineReader);
  const findingsView = new FindingsViewProvider(() => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  const processesView = new ProcessesViewProvider(session);
  const processesTree = vscode.window.createTreeView('perfLens.processes', { treeDataProvider: processesView });
  const findingsTree = vscode.window.createTreeView('perfLens.findings', { treeDataProvider: findingsView, showCollapseAll: true });
  processesView.isVisible = () => processesTree.visible;
  const findings: FindingsUi = {
    finding: (key) => diagnostics.finding(key) ?? session.findings.find((f) => `${f.pid}:${f.id}` === key),
    async reveal(key) {
      const node = findingsView.node(key);
      if (!node) return false;
      await findingsTree.reveal(node, { select: true, focus: true, expand: true });
      return true;
    },
  };
  const ctx = { session, terminals, findings, extension: context };
  const statusBar = new ProcessStatusBar(session);
  const budgetAlerts = new BudgetAlerts(session);
  // perfLens.metricsPort: /metrics for Prometheus while profiling runs
  const metricsExport = new MetricsExport(
    session,
    {
      port: () => metricsPortFrom((k) => vscode.workspace.getConfiguration('perfLens').get(k)),
      workspaceFolder: () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    },
    { error: (message) => void vscode.window.showErrorMessage(message) },
  );

  // `perfLens.running` enables Stop Profiling; `perfLens.hasFindings` enables Clear / Export.
  let running = false;
  let hasFindings = false;
  let connected = 0;
  const runningKey = session.onDidChange(() => {
    const count = session.registry.count;
    if (count > 0 && connected === 0 && booleanSetting((k) => vscode.workspace.getConfiguration('perfLens').get(k), 'openChartsOnConnect', true)) {
      void Promise.resolve(vscode.commands.executeCommand('perfLens.showCharts')).catch(() => undefined);
    }
    connected = count;
    if (session.running === running) return;
    running = session.running;
    void vscode.commands.executeCommand('setContext', 'perfLens.running', running);
  });
  const findingsSink = session.onDidChangeFindings((change) => {
    diagnostics.update(change.findings);
    findingsView.update(change.findings);
    if (hasFindings !== change.findings.length > 0) {
      hasFindings = change.findings.length > 0;
      void vscode.commands.executeCommand('setContext', 'perfLens.hasFindings', hasFindings);
    }
  });

  context.subscriptions.push(
    runningKey,
    findingsSink,
    terminals,
    statusBar,
    budgetAlerts,
    { dispose: () => void metricsExport.dispose() },
    processesView,
    findingsView,
    processesTree,
    findingsTree,
    diagnostics,
    processesTree.onDidChangeVisibility(() => processesView.refresh()),
    vscode.languages.registerHoverProvider({ scheme: 'file' }, new FindingHoverProvider(diagnostics)),
    vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, new FindingCodeActions(diagnostics), {
      providedCodeActionKinds: FindingCodeActions.kinds,
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('perfLens')) session.refreshFindings();
      if (e.affectsConfiguration('perfLens.metricsPort')) void metricsExport.sync();
    }),
    // An ignore comment typed (or undone) above a finding's line takes effect without a save.
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document.uri.scheme === 'file' && diagnostics.knowsFile(e.document.uri.fsPath)) session.refreshFindings();
    }),
    ...Object.entries(COMMANDS).map(([id, handler]) =>
      vscode.commands.registerCommand(id, (...args: unknown[]) => run(id, () => handler(ctx, ...args))),
    ),
  );
}

export async function deactivate(): Promise<void> {
  await service?.dispose();
  service = undefined;
}

/** A failing command says so in a notification instead of an unexplained silence. */
async function run(id: string, body: () => unknown): Promise<void> {
  try {
    await body();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    void vscode.window.showErrorMessage(`Perf Lens (${id}): ${message}`);
  }
}
export { showChartsPanel, showChartsCommand } from './panel';
