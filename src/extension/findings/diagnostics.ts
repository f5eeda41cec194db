import * as vscode from 'vscode';
import type { Finding } from '../../core/findings/finding';
import { diagnosticsAt, diagnosticsByFile, type DiagnosticLevel, type DiagnosticSpec, type LineReader } from './finding-diagnostics';

const SEVERITY: Record<DiagnosticLevel, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
};

function toDiagnostic(d: DiagnosticSpec): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(new vscode.Range(d.line, d.startCharacter, d.line, d.endCharacter), d.message, SEVERITY[d.severity]);
  diagnostic.source = d.source;
  diagnostic.code = d.code;
  diagnostic.relatedInformation = d.related.map(
    (r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(vscode.Uri.file(r.file), new vscode.Position(r.line, r.character)), r.message),
  );
  return diagnostic;
}

/**
 * The findings as diagnostics in the Problems panel and the editors, replaced on every change;
 * it also answers "which finding is this diagnostic" for the hover and the quick fixes.
 */
export class FindingDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('perf-lens');
  private byFile = new Map<string, DiagnosticSpec[]>();
  private byKey = new Map<string, Finding>();
  private readonly everShown = new Set<string>();

  constructor(private readonly lineReader: () => LineReader) {}

  update(findings: readonly Finding[]): void {
    const byFile = diagnosticsByFile(findings, this.lineReader());
    for (const file of this.byFile.keys()) if (!byFile.has(file)) this.collection.delete(vscode.Uri.file(file));
    for (const [file, specs] of byFile) this.collection.set(vscode.Uri.file(file), specs.map(toDiagnostic));
    this.byFile = byFile;
    for (const file of byFile.keys()) this.everShown.add(file);
    this.byKey = new Map(findings.map((f) => [`${f.pid}:${f.id}`, f]));
  }

  /**
   * Whether a diagnostic ever sat in this file: an edit there (an ignore comment typed or
   * undone) may change what is shown.
   */
  knowsFile(file: string): boolean {
    return this.everShown.has(file);
  }

  finding(key: string): Finding | undefined {
    return this.byKey.get(key);
  }

  /** Findings whose diagnostic covers this place (0-based; no character: the whole line). */
  findingsAt(file: string, line: number, character?: number): Finding[] {
    return diagnosticsAt(this.byFile.get(file) ?? [], line, character)
      .map((d) => this.byKey.get(d.key))
      .filter((f): f is Finding => f !== undefined);
  }

  dispose(): void {
    this.collection.dispose();
  }
}
