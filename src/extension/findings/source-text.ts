import * as vscode from 'vscode';
import { readSourceFromDisk } from '../../core/util/source-text';
import type { LineReader } from './finding-diagnostics';

/** The text of a file as an open editor has it (unsaved edits included), else undefined. */
export function openDocumentText(file: string): string | undefined {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
  return doc?.getText();
}

/**
 * Reads lines from open editors first, else from disk; each file is read at most once per
 * reader, so make a new one per update.
 */
export function editorLineReader(): LineReader {
  const files = new Map<string, string[] | null>();
  return (file, line) => {
    let lines = files.get(file);
    if (lines === undefined) {
      let text = openDocumentText(file);
      if (text === undefined) text = readSourceFromDisk(file);
      lines = text === undefined ? null : text.split(/\r?\n/);
      files.set(file, lines);
    }
    return lines?.[line - 1];
  };
}
