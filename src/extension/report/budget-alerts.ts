import * as vscode from 'vscode';
import { checkBudgets, type Breach } from '../../core/report/budgets';
import { computeFigures } from '../../core/report/figures';
import type { ProfilingSession } from '../profiling-service';
import { budgetFromSetting } from './budget-setting';
import { sessionsOf } from './session-sessions';

/** How often figures are re-checked while processes report (they change with every request). */
const CHECK_MS = 3000;

/**
 * Budgets in the editor: `perfLens.budgets` checked against the live key figures. A breach
 * shows a warning notification (once per budget entry until it is met again) and a status bar
 * mark `$(warning) 2 budgets` whose tooltip lists them; met budgets hide the mark.
 */
export class BudgetAlerts implements vscode.Disposable {
  /** made on the first breach: no budget, no item */
  private itemValue: vscode.StatusBarItem | null = null;
  private readonly subscriptions: { dispose(): void }[];
  private timer: NodeJS.Timeout | null = null;
  private announced = new Set<string>();
  private settingError: string | null = null;
  /** the breaches of the last check */
  breaches: Breach[] = [];

  constructor(
    private readonly session: ProfilingSession,
    private readonly readSetting: () => unknown = () => vscode.workspace.getConfiguration('perfLens').get('budgets'),
  ) {
    this.subscriptions = [
      session.onDidChange(() => this.schedule()),
      session.onDidChangeSessions(() => this.check()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('perfLens')) {
          this.announced.clear();
          this.settingError = null;
          this.check();
        }
      }),
    ];
    this.schedule();
  }

  /** Checks now; returns the breaches. Never throws into the session's event listeners. */
  check(): Breach[] {
    try {
      return this.checkOrThrow();
    } catch (err) {
      console.error('Perf Lens: checking budgets failed', err);
      return this.breaches;
    }
  }

  private checkOrThrow(): Breach[] {
    const { budget, error } = budgetFromSetting(this.readSetting());
    if (error && error !== this.settingError) void vscode.window.showErrorMessage(`Perf Lens: ${error}`);
    this.settingError = error ?? null;
    const sessions = sessionsOf(this.session);
    this.breaches = budget && sessions?.length ? checkBudgets(computeFigures(sessions), budget) : [];
    this.render();
    return this.breaches;
  }

  private render(): void {
    const current = new Set(this.breaches.map((b) => b.ruleId));
    const fresh = this.breaches.filter((b) => !this.announced.has(b.ruleId));
    // A budget met again may warn again if breached later.
    this.announced = new Set([...this.announced].filter((id) => current.has(id)));
    for (const b of fresh) this.announced.add(b.ruleId);
    if (fresh.length) {
      const text = fresh.length === 1 ? fresh[0].message : `${fresh.length} budgets breached: ${fresh.map((b) => b.message).join(' ')}`;
      void vscode.window.showWarningMessage(`Perf Lens: ${text}`);
    }
    if (this.breaches.length === 0) {
      this.itemValue?.hide();
      return;
    }
    this.item.text = `$(warning) ${this.breaches.length} budget${this.breaches.length === 1 ? '' : 's'}`;
    this.item.tooltip = this.breaches.map((b) => b.message).join('\n');
    // ThemeColor is absent from some hosts' API stand-ins; the icon alone still marks it.
    if (typeof vscode.ThemeColor === 'function') this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    this.item.show();
  }

  private get item(): vscode.StatusBarItem {
    if (!this.itemValue) {
      this.itemValue = vscode.window.createStatusBarItem('perfLens.budgets', vscode.StatusBarAlignment.Left, 49);
      this.itemValue.name = 'Perf Lens budgets';
      this.itemValue.command = 'perfLens.exportReport';
    }
    return this.itemValue;
  }

  /** Re-checks every few seconds while processes are connected. */
  private schedule(): void {
    const ticking = this.session.running && this.session.registry.count > 0;
    if (ticking && !this.timer) {
      this.timer = setInterval(() => this.check(), CHECK_MS);
      this.timer.unref?.();
    } else if (!ticking && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
      this.check();
    }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    for (const s of this.subscriptions) s.dispose();
    this.itemValue?.dispose();
  }
}
