import type { CommandHandler } from './context';
import { launchCurrentFile } from './launch-current-file';
import { openProfilingTerminal } from './open-terminal';
import { stopProfiling } from './stop';
import { showStatus } from './show-status';

/**
 * Every command the extension registers, by the id package.json contributes. One table, so the
 * manifest test can check that no contributed command lacks a handler (and the reverse).
 */
export const COMMANDS: Readonly<Record<string, CommandHandler>> = {
  'perfLens.launchCurrentFile': launchCurrentFile,
  'perfLens.openTerminal': openProfilingTerminal,
  'perfLens.stop': stopProfiling,
  'perfLens.showStatus': showStatus,
};

export type { CommandContext, CommandHandler } from './context';
