import type { CommandContext } from './context';

/** Perf Lens: Show Live Charts — the charts panel (src/extension/panel), loaded on first use. */
export async function showCharts(ctx: CommandContext): Promise<void> {
  const { showChartsPanel } = await import('../panel');
  showChartsPanel(ctx.extension, ctx.session);
}
