import type * as vscode from 'vscode';
import type { Finding } from '../../core/findings/finding';
import type { ProfilingSession } from '../profiling-service';
import type { ProfilingTerminals } from '../terminals';

/** The findings as the window shows them (diagnostics and the Findings view). */
export interface FindingsUi {
  /** the finding of a key (`pid:id`) as last shown */
  finding(key: string): Finding | undefined;
  /** selects the finding in the Findings view; false when it is no longer there */
  reveal(key: string): Promise<boolean>;
}

/** What every command handler gets. */
export interface CommandContext {
  session: ProfilingSession;
  terminals: ProfilingTerminals;
  findings: FindingsUi;
  extension: vscode.ExtensionContext;
}

export type CommandHandler = (ctx: CommandContext, ...args: unknown[]) => unknown;
