import * as vscode from 'vscode';
import * as path from 'node:path';
import { COMMANDS } from './commands';
import { ProfilingService } from './profiling-service';
import { ProfilingTerminals } from './terminals';
import { ProcessStatusBar } from './status-bar';
import { ProcessesViewProvider } from './views/processes-view';

let service: ProfilingService | undefined;

/**
 * Activated by its commands and its view only. Nothing here starts a server or loads `ws`:
 * that happens on the first launch or terminal (ProfilingService.ensureStarted).
 */
export function activate(context: vscode.ExtensionContext): void {
  service = new ProfilingService(path.join(context.extensionPath, 'dist', 'agent.js'));
  const terminals = new ProfilingTerminals();
  const ctx = { session: service, terminals };
  const statusBar = new ProcessStatusBar(service);
  const view = new ProcessesViewProvider(service.registry);
  const session = service;
  // `perfLens.running` enables Stop Profiling in the palette and the view's title bar.
  let running = false;
  const runningKey = session.onDidChange(() => {
    if (session.running === running) return;
    running = session.running;
    void vscode.commands.executeCommand('setContext', 'perfLens.running', running);
  });
  context.subscriptions.push(
    runningKey,
    terminals,
    statusBar,
    view,
    vscode.window.registerTreeDataProvider('perfLens.processes', view),
    ...Object.entries(COMMANDS).map(([id, handler]) =>
      vscode.commands.registerCommand(id, (...args: unknown[]) => run(id, () => handler(ctx, ...args))),
    ),
  );
}

export async function deactivate(): Promise<void> {
  await service?.stop();
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
