import * as vscode from 'vscode';
import type { ChartSource } from './chart-source';
import { ChartsPanel } from './charts-panel';

export type { ChartSource } from './chart-source';
export { ChartsPanel, CHARTS_VIEW_TYPE } from './charts-panel';

/** Opens the live charts panel, or brings it to the front. */
export function showChartsPanel(context: vscode.ExtensionContext, source: ChartSource): ChartsPanel {
  return ChartsPanel.show(context, source);
}

/** The handler of 'perfLens.showCharts' ("Show Live Charts"). */
export function showChartsCommand(context: vscode.ExtensionContext, source: ChartSource): () => void {
  return () => void showChartsPanel(context, source);
}
