import type { Breach } from '../budgets';
import { figureLabel, formatFigure } from './format-figures';
import { artifactUri } from './sarif';
import { pathInside } from '../../util/paths';

interface SarifRun {
  tool: { driver: { rules: { id: string; shortDescription: { text: string } }[] } };
  results: Record<string, unknown>[];
}

/** The 1-based line of a budget entry in its file: the figure's key after the scope's key. */
export function budgetLine(text: string, budgetKey: string, figure: string): number {
  const lines = text.split(/\r?\n/);
  const scopeAt = lines.findIndex((l) => l.includes(JSON.stringify(budgetKey)));
  const from = scopeAt < 0 ? 0 : scopeAt;
  const at = lines.findIndex((l, i) => i >= from && l.includes(JSON.stringify(figure)));
  return at < 0 ? 1 : at + 1;
}

/**
 * Adds budget breaches to a SARIF log made by `toSarif`: one rule per budget entry, one
 * error result per breach, located at the entry's line in the budget file (so code scanning
 * has a place to show it), or without a location when the budget came from no file.
 */
export function addBudgetResults(sarif: object, breaches: readonly Breach[], budget?: { file: string; text: string; root: string }): object {
  const run = (sarif as { runs: SarifRun[] }).runs[0];
  // budgets from the editor's settings have no file of their own: results without a location
  const uri = budget ? artifactUri(budget.file, budget.root) : '';
  const inside = budget ? pathInside(budget.root, budget.file) !== null : false;
  for (const b of breaches) {
    let ruleIndex = run.tool.driver.rules.findIndex((r) => r.id === b.ruleId);
    if (ruleIndex < 0) {
      ruleIndex = run.tool.driver.rules.length;
      const where = b.budgetKey === 'overall' ? 'the run' : b.budgetKey === '*' ? 'every route' : b.budgetKey;
      run.tool.driver.rules.push({
        id: b.ruleId,
        shortDescription: { text: `Budget: the ${figureLabel(b.figure)} of ${where} stays ${b.bound === 'max' ? 'at most' : 'at least'} ${formatFigure(b.figure, b.limit)}.` },
      });
    }
    run.results.push({
      ruleId: b.ruleId,
      ruleIndex,
      level: 'error',
      message: { text: b.message },
      locations: !budget
        ? []
        : [
            {
              physicalLocation: {
                artifactLocation: { uri, ...(inside ? { uriBaseId: '%SRCROOT%' } : {}) },
                region: { startLine: budgetLine(budget.text, b.budgetKey, b.figure), startColumn: 1 },
              },
            },
          ],
      partialFingerprints: { perfLensBudget: b.ruleId },
      properties: { scope: b.scope, figure: b.figure, value: b.value, [b.bound]: b.limit },
    });
  }
  return sarif;
}
