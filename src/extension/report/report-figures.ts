import type { Report } from '../../core/report/types';
import { checkBudgets, type Breach } from '../../core/report/budgets';
import { withFigures } from '../../core/report/figures';
import type { ReportWithFigures } from '../../core/report/figures-types';
import { budgetFromSetting } from './budget-setting';
import { sessionsOf } from './session-sessions';

/**
 * The exported report with its key figures (from the session's store, when it has one) and
 * the breaches of `perfLens.budgets`; a malformed budget setting is left out here (BudgetAlerts says so).
 */
export function reportWithFigures(report: Report, session: unknown, budgetSetting: unknown): { report: ReportWithFigures; breaches?: Breach[] } {
  const sessions = sessionsOf(session);
  const full: ReportWithFigures = sessions ? withFigures(report, sessions) : report;
  const { budget } = budgetFromSetting(budgetSetting);
  return { report: full, breaches: budget && full.figures ? checkBudgets(full.figures, budget) : undefined };
}
