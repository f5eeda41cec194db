import { BudgetError, parseBudget, type Budget } from '../../core/report/budgets';

/** `perfLens.budgets` (the same JSON as `perf-lens run --budget`) → a budget, nothing, or why not. */
export function budgetFromSetting(value: unknown): { budget: Budget | null; error?: string } {
  if (value === undefined || value === null) return { budget: null };
  if (typeof value === 'object' && Object.keys(value as object).length === 0) return { budget: null };
  try {
    return { budget: parseBudget(value) };
  } catch (err) {
    if (err instanceof BudgetError) return { budget: null, error: `The setting perfLens.budgets is not valid: ${err.message}.` };
    throw err;
  }
}
