import type { CommandHandler } from './context';
import { launchCurrentFile } from './launch-current-file';
import { openProfilingTerminal } from './open-terminal';
import { stopProfiling } from './stop';
import { showStatus } from './show-status';
import { exportReport } from './export-report';
import { clearFindings } from './clear-findings';
import { copyFix, copyQuery, revealFinding } from './finding-actions';
import { showCharts } from './show-charts';
import { compareWithBaseline } from './compare-baseline';
import { attachToNodeProcess } from '../attach/attach-command';
import { takeHeapSnapshot } from './take-heap-snapshot';
import { compareHeapSnapshots } from './compare-heap-snapshots';
import { startCpuProfile, stopCpuProfile } from './cpu-profile';
import { watchForLeaks } from './watch-leaks';

/**
 * Every command the extension registers, by the id package.json contributes. One table, so the
 * manifest test can check that no contributed command lacks a handler (and the reverse).
 * `revealFinding`, `copyQuery` and `copyFix` take a finding key: quick fixes call them, the palette hides them.
 */
export const COMMANDS: Readonly<Record<string, CommandHandler>> = {
  'perfLens.attach': attachToNodeProcess,
  'perfLens.launchCurrentFile': launchCurrentFile,
  'perfLens.openTerminal': openProfilingTerminal,
  'perfLens.stop': stopProfiling,
  'perfLens.showStatus': showStatus,
  'perfLens.showCharts': showCharts,
  'perfLens.exportReport': exportReport,
  'perfLens.clearFindings': clearFindings,
  'perfLens.compareWithBaseline': compareWithBaseline,
  'perfLens.takeHeapSnapshot': takeHeapSnapshot,
  'perfLens.compareHeapSnapshots': compareHeapSnapshots,
  'perfLens.startCpuProfile': startCpuProfile,
  'perfLens.stopCpuProfile': stopCpuProfile,
  'perfLens.watchForLeaks': watchForLeaks,
  'perfLens.revealFinding': revealFinding,
  'perfLens.copyQuery': copyQuery,
  'perfLens.copyFix': copyFix,
};

export type { CommandContext, CommandHandler, FindingsUi } from './context';
