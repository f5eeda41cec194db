import * as vscode from 'vscode';
import { DIAGNOSTIC_SOURCE } from './finding-diagnostics';
import { findingHoverMarkdown } from './finding-hover';
import type { FindingDiagnostics } from './diagnostics';
import { ignoreCommentInsert, fixText, queryText } from './quick-fixes';

/** The numbers behind a Perf Lens diagnostic under the pointer, as a Markdown table. */
export class FindingHoverProvider implements vscode.HoverProvider {
  constructor(private readonly diagnostics: FindingDiagnostics) {}

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const found = this.diagnostics.findingsAt(document.uri.fsPath, position.line, position.character);
    if (found.length === 0) return undefined;
    return new vscode.Hover(new vscode.MarkdownString(found.map(findingHoverMarkdown).join('\n\n---\n\n')));
  }
}

/** Quick fixes of a Perf Lens diagnostic: Ignore here, Show in Perf Lens, Copy query. */
export class FindingCodeActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  constructor(private readonly diagnostics: FindingDiagnostics) {}

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== DIAGNOSTIC_SOURCE) continue;
      const line = diagnostic.range.start.line;
      for (const f of this.diagnostics.findingsAt(document.uri.fsPath, line)) {
        if (f.kind !== diagnostic.code) continue;
        const key = `${f.pid}:${f.id}`;
        const lineText = line < document.lineCount ? document.lineAt(line).text : undefined;
        const insert = ignoreCommentInsert(f, lineText);
        if (insert) {
          const ignore = new vscode.CodeAction(`Ignore here (perf-lens-ignore ${f.kind})`, vscode.CodeActionKind.QuickFix);
          ignore.edit = new vscode.WorkspaceEdit();
          ignore.edit.insert(document.uri, new vscode.Position(insert.line, insert.character), insert.text);
          ignore.diagnostics = [diagnostic];
          actions.push(ignore);
        }
        const show = new vscode.CodeAction('Show in Perf Lens', vscode.CodeActionKind.QuickFix);
        show.command = { command: 'perfLens.revealFinding', title: 'Show in Perf Lens', arguments: [key] };
        show.diagnostics = [diagnostic];
        actions.push(show);
        const fix = fixText(f);
        if (fix) {
          const title = `Copy fix: ${fix.length > 80 ? `${fix.slice(0, 79)}…` : fix}`;
          const copyFix = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
          copyFix.command = { command: 'perfLens.copyFix', title: 'Copy fix', arguments: [key] };
          copyFix.diagnostics = [diagnostic];
          actions.push(copyFix);
        }
        if (queryText(f)) {
          const copy = new vscode.CodeAction('Copy query', vscode.CodeActionKind.QuickFix);
          copy.command = { command: 'perfLens.copyQuery', title: 'Copy query', arguments: [key] };
          copy.diagnostics = [diagnostic];
          actions.push(copy);
        }
      }
    }
    return actions;
  }
}
