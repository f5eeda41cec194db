/**
 * Budgets: thresholds on key figures, overall or per route, from a small JSON file:
 *
 *   { "overall": { "p95Ms": 200, "errorRate": 0.01, "throughputPerS": { "min": 50 } },
 *     "routes": { "GET /posts": { "queriesPerRequest": 3 }, "*": { "p99Ms": 500 } } }
 *
 * A plain number is a maximum, except for `throughputPerS` and `cacheHitRate` where it is a minimum;
 * `{ "max": n }` / `{ "min": n }` say it outright. `"*"` applies to every route seen.
 */
import { FIGURE_INFO, FIGURE_NAMES, type FigureName, type Figures, type RequestFigures, type RunFigures } from './figures-types';
import { figureLabel, formatFigure } from './render/format-figures';

export interface BudgetLimit {
  max?: number;
  min?: number;
}
export type BudgetLimits = Partial<Record<FigureName, BudgetLimit>>;

export interface Budget {
  overall: BudgetLimits;
  routes: Record<string, BudgetLimits>;
}

export interface Breach {
  /** SARIF rule id: one rule per budget entry, e.g. `budget/overall/p95Ms`, `budget/GET /posts/queriesPerRequest` */
  ruleId: string;
  /** 'overall' or a route key */
  scope: string;
  /** the key of the budget entry that matched: the route, '*' or 'overall' */
  budgetKey: string;
  figure: FigureName;
  value: number;
  bound: 'max' | 'min';
  limit: number;
  /** one sentence */
  message: string;
}

/** A budget file that cannot be used; the message is one sentence. */
export class BudgetError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseLimits(raw: unknown, where: string, perRouteOnly: boolean): BudgetLimits {
  if (!isObject(raw)) throw new BudgetError(`${where} must be an object of figure names to limits`);
  const out: BudgetLimits = {};
  for (const [name, v] of Object.entries(raw)) {
    if (!(FIGURE_NAMES as string[]).includes(name)) {
      throw new BudgetError(`unknown figure "${name}" in ${where}; known figures: ${FIGURE_NAMES.join(', ')}`);
    }
    const figure = name as FigureName;
    if (perRouteOnly && !FIGURE_INFO[figure].perRoute) throw new BudgetError(`the figure "${name}" in ${where} exists only for the whole run, under "overall"`);
    const limit: BudgetLimit = {};
    if (typeof v === 'number') {
      if (figure === 'throughputPerS' || figure === 'cacheHitRate') limit.min = v;
      else limit.max = v;
    } else if (isObject(v)) {
      for (const [k, n] of Object.entries(v)) {
        if (k !== 'max' && k !== 'min') throw new BudgetError(`the limit of "${name}" in ${where} takes only "max" and "min", not "${k}"`);
        if (typeof n !== 'number') throw new BudgetError(`"${k}" of "${name}" in ${where} must be a number`);
        limit[k] = n;
      }
      if (limit.max === undefined && limit.min === undefined) throw new BudgetError(`the limit of "${name}" in ${where} needs "max" or "min"`);
    } else {
      throw new BudgetError(`the limit of "${name}" in ${where} must be a number or {"max": n} / {"min": n}`);
    }
    for (const n of [limit.max, limit.min]) {
      if (n !== undefined && !Number.isFinite(n)) throw new BudgetError(`the limit of "${name}" in ${where} must be a finite number`);
    }
    out[figure] = limit;
  }
  return out;
}

/** Validates a budget (parsed JSON). Throws BudgetError naming the first problem. */
export function parseBudget(raw: unknown): Budget {
  if (!isObject(raw)) throw new BudgetError('a budget must be a JSON object with "overall" and/or "routes"');
  for (const k of Object.keys(raw)) {
    if (k !== 'overall' && k !== 'routes' && k !== '$schema' && k !== 'description') {
      throw new BudgetError(`unknown key "${k}" at the top of the budget; use "overall" and "routes"`);
    }
  }
  const budget: Budget = { overall: {}, routes: {} };
  if (raw.overall !== undefined) budget.overall = parseLimits(raw.overall, '"overall"', false);
  if (raw.routes !== undefined) {
    if (!isObject(raw.routes)) throw new BudgetError('"routes" must be an object of route names (such as "GET /posts") to limits');
    for (const [route, limits] of Object.entries(raw.routes)) budget.routes[route] = parseLimits(limits, `routes["${route}"]`, true);
  }
  return budget;
}

/** Parses the text of a budget file; `name` goes into the error sentence. */
export function parseBudgetText(text: string, name: string): Budget {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BudgetError(`The budget file ${name} is not valid JSON (${(err as Error).message.replace(/\.$/, '')}).`);
  }
  try {
    return parseBudget(raw);
  } catch (err) {
    throw new BudgetError(`The budget file ${name} is not valid: ${(err as Error).message}.`);
  }
}

export function budgetRuleId(budgetKey: string, figure: FigureName): string {
  return `budget/${budgetKey}/${figure}`;
}

function check(
  figures: Partial<RunFigures> | RequestFigures,
  limits: BudgetLimits,
  scope: string,
  budgetKey: string,
  out: Breach[],
): void {
  for (const figure of Object.keys(limits) as FigureName[]) {
    const value = (figures as Record<string, number | null | undefined>)[figure];
    if (value === null || value === undefined) continue; // nothing measured, nothing breached
    const limit = limits[figure]!;
    const where = scope === 'overall' ? 'the run' : scope;
    const say = (bound: 'max' | 'min', n: number, word: string) =>
      out.push({
        ruleId: budgetRuleId(budgetKey, figure),
        scope,
        budgetKey,
        figure,
        value,
        bound,
        limit: n,
        message: `The ${figureLabel(figure)} of ${where} is ${formatFigure(figure, value)}, ${word} its budget of ${formatFigure(figure, n)}.`,
      });
    if (limit.max !== undefined && value > limit.max) say('max', limit.max, 'over');
    if (limit.min !== undefined && value < limit.min) say('min', limit.min, 'under');
  }
}

/** Every budget entry the figures break, overall first, then routes by name. */
export function checkBudgets(figures: Figures, budget: Budget): Breach[] {
  const out: Breach[] = [];
  check(figures.overall, budget.overall, 'overall', 'overall', out);
  for (const route of Object.keys(figures.routes).sort()) {
    const own = budget.routes[route];
    if (own) check(figures.routes[route], own, route, route, out);
    const any = budget.routes['*'];
    // A route's own limit on a figure wins over the wildcard's.
    if (any) {
      const rest = Object.fromEntries(Object.entries(any).filter(([f]) => !own || !(f in own))) as BudgetLimits;
      check(figures.routes[route], rest, route, '*', out);
    }
  }
  return out;
}

/** `Budget: 2 breaches` and one line each, for the human summary. */
export function formatBreaches(breaches: readonly Breach[]): string {
  if (breaches.length === 0) return 'Budgets: all met.';
  return [`Budgets: ${breaches.length} breach${breaches.length === 1 ? '' : 'es'}:`, ...breaches.map((b) => `  ${b.message}`)].join('\n');
}
