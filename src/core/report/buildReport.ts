/**
 * Runs' facts → the report: groups (policy, model or prompt) with their leaderboard figures, the task × group
 * matrix, paired comparisons of every two groups, and rates per category. Pure: no I/O, no clock but the
 * timestamp it is given.
 */
import { bootstrapMeanInterval, pairedBootstrap, type BootstrapOptions } from './bootstrap';
import type { TaskCatalog, TaskInfo } from './catalog';
import { mcnemar, mean, passAtK, passHatK, spread, type Spread } from './estimators';
import { signFlipTest } from './signFlip';
import type {
  CategoryRow,
  Comparison,
  GroupAnalytics,
  GroupBy,
  GroupReport,
  KPoint,
  MatrixCell,
  RateWithInterval,
  Report,
  ReportProblem,
  RoundOutcome,
  RunFacts,
  RunStatus,
  TaskRow,
} from './model';
import { REPORT_VERSION } from './model';

export interface ReportOptions {
  by: GroupBy;
  bootstrap: Required<BootstrapOptions>;
  /** Keep only runs of these datasets / groups (all when absent). */
  datasets?: string[];
  groups?: string[];
  sources: string[];
  problems: ReportProblem[];
  generatedAt: string;
}

export function groupKey(run: RunFacts, by: GroupBy): string {
  if (by === 'policy') return run.policy;
  if (by === 'model') return run.model;
  return run.prompt?.hash ?? '(no system prompt)';
}

function groupLabel(run: RunFacts, by: GroupBy): string {
  return by === 'prompt' && run.prompt ? `${run.prompt.hash} “${run.prompt.preview}…”` : groupKey(run, by);
}

interface Classified {
  run: RunFacts;
  group: string;
  info: TaskInfo;
}

export function buildReport(facts: readonly RunFacts[], catalog: TaskCatalog, options: ReportOptions): Report {
  const all = facts.map((run): Classified => ({ run, group: groupKey(run, options.by), info: catalog.infoFor(run) }));
  const facets = {
    datasets: sortedUnique(all.map((item) => item.info.dataset)),
    groups: sortedUnique(all.map((item) => item.group)),
  };
  const kept = all.filter(
    (item) =>
      (!options.datasets?.length || options.datasets.includes(item.info.dataset)) &&
      (!options.groups?.length || options.groups.includes(item.group)),
  );
  const byGroup = groupBy(kept, (item) => item.group);
  const labels = new Map(kept.map((item) => [item.group, groupLabel(item.run, options.by)]));
  const groups = [...byGroup]
    .map(([key, items]) => groupReport(key, labels.get(key) ?? key, items, options.bootstrap))
    .sort((a, b) => (b.resolved?.value ?? -1) - (a.resolved?.value ?? -1) || compare(a.key, b.key));
  const order = groups.map((group) => group.key);
  return {
    version: REPORT_VERSION,
    generatedAt: options.generatedAt,
    by: options.by,
    sources: options.sources,
    filters: {
      ...(options.datasets?.length ? { datasets: options.datasets } : {}),
      ...(options.groups?.length ? { groups: options.groups } : {}),
    },
    bootstrap: options.bootstrap,
    runs: kept.length,
    groups,
    tasks: taskRows(kept),
    comparisons: comparisons(order, byGroup, options.bootstrap),
    categories: categoryRows(order, kept, options.bootstrap),
    facets,
    problems: options.problems,
  };
}

function groupReport(
  key: string,
  label: string,
  items: Classified[],
  bootstrap: Required<BootstrapOptions>,
): GroupReport {
  const runs = items.map((item) => item.run);
  const perTask = [...groupBy(runs, (run) => run.taskId).values()];
  const scoredCounts = perTask.map((taskRuns) => resolvedCounts(taskRuns)).filter((counts) => counts.scored > 0);
  const maxAttempts = scoredCounts.reduce((most, counts) => Math.max(most, counts.scored), 0);
  const kCurve = (estimate: (n: number, c: number, k: number) => number): KPoint[] =>
    Array.from({ length: maxAttempts }, (_, i) => i + 1).map((k) => {
      const eligible = scoredCounts.filter((counts) => counts.scored >= k);
      return {
        k,
        value: mean(eligible.map((counts) => estimate(counts.scored, counts.resolved, k)))!,
        tasks: eligible.length,
      };
    });
  const statuses: Partial<Record<RunStatus, number>> = {};
  for (const run of runs) statuses[run.status] = (statuses[run.status] ?? 0) + 1;
  return {
    key,
    label,
    runs: runs.length,
    tasks: perTask.length,
    scoredRuns: runs.filter((run) => run.resolved !== null).length,
    resolved: resolvedRate(runs, bootstrap),
    passAtK: kCurve(passAtK),
    passHatK: kCurve(passHatK),
    meanReward: meanReward(runs, bootstrap),
    costUsd: knownCosts(runs),
    tokens: withTotal(runs.map((run) => run.tokens)),
    turns: spread(runs.map((run) => run.turns)),
    turnsHistogram: histogram(runs.map((run) => run.turns)),
    wallSeconds: spread(runs.flatMap((run) => (run.wallSeconds === null ? [] : [run.wallSeconds]))),
    statuses,
    analytics: groupAnalytics(runs),
  };
}

function histogram(values: number[]): [number, number][] {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a - b);
}

function resolvedCounts(runs: readonly RunFacts[]): { scored: number; resolved: number } {
  const scored = runs.filter((run) => run.resolved !== null);
  return { scored: scored.length, resolved: scored.filter((run) => run.resolved).length };
}

/** Mean over tasks of each task's resolved share of its scored attempts, with a bootstrap over tasks. */
function resolvedRate(runs: readonly RunFacts[], bootstrap: Required<BootstrapOptions>): RateWithInterval | null {
  const perTask = [...groupBy(runs, (run) => run.taskId).values()]
    .map(resolvedCounts)
    .filter((counts) => counts.scored > 0);
  if (perTask.length === 0) return null;
  const rates = perTask.map((counts) => counts.resolved / counts.scored);
  return {
    value: mean(rates)!,
    interval: bootstrapMeanInterval(rates, bootstrap),
    tasks: perTask.length,
    runs: perTask.reduce((sum, counts) => sum + counts.scored, 0),
  };
}

/** Per task, the mean reward of its scored attempts; null for a task with none. */
function taskMeanRewards(runs: readonly RunFacts[]): Map<string, number> {
  const rewards = new Map<string, number>();
  for (const [taskId, taskRuns] of groupBy(runs, (run) => run.taskId)) {
    const value = mean(taskRuns.flatMap((run) => (run.reward === null ? [] : [run.reward])));
    if (value !== null) rewards.set(taskId, value);
  }
  return rewards;
}

function meanReward(runs: readonly RunFacts[], bootstrap: Required<BootstrapOptions>): RateWithInterval | null {
  const perTask = [...taskMeanRewards(runs).values()];
  if (perTask.length === 0) return null;
  return {
    value: mean(perTask)!,
    interval: bootstrapMeanInterval(perTask, bootstrap),
    tasks: perTask.length,
    runs: runs.filter((run) => run.reward !== null).length,
  };
}

/** The spread and total of the runs' costs that are known, and how many runs' costs are not. */
function knownCosts(runs: readonly RunFacts[]): GroupReport['costUsd'] {
  const known = runs.flatMap((run) => (run.costUsd === null ? [] : [run.costUsd]));
  return { ...withTotal(known), unknownRuns: runs.length - known.length };
}

function withTotal(values: number[]): Spread & { total: number } {
  return { ...spread(values), total: values.reduce((sum, value) => sum + value, 0) };
}

function groupAnalytics(runs: readonly RunFacts[]): GroupAnalytics {
  const analytics = runs.map((run) => run.analytics);
  const failures = sum(analytics.map((a) => a.failures));
  const recovered = sum(analytics.map((a) => a.recovered));
  const reached = (milestone: 'firstEdit' | 'firstPassingTest') => {
    const points = analytics.flatMap((a) => (a[milestone] ? [a[milestone]] : []));
    return {
      runs: points.length,
      turns: spread(points.map((point) => point.turn)),
      tokens: spread(points.flatMap((point) => (point.tokens === null ? [] : [point.tokens]))),
    };
  };
  const localised = analytics.flatMap((a) => (a.localisation ? [a.localisation] : []));
  return {
    tools: addCounts(analytics.map((a) => a.tools)),
    commands: addCounts(analytics.map((a) => a.commands)),
    failures,
    recovered,
    errorRecoveryRate: failures > 0 ? recovered / failures : null,
    firstEdit: reached('firstEdit'),
    firstPassingTest: reached('firstPassingTest'),
    runsWithLoop: analytics.filter((a) => a.loop).length,
    repeatedTurns: spread(analytics.map((a) => a.repeatedTurns)),
    compactions: sum(analytics.map((a) => a.compactions)),
    runsWithCompaction: analytics.filter((a) => a.compactions > 0).length,
    localisation: localised.length
      ? {
          runs: localised.length,
          precision: spread(localised.flatMap((l) => (l.precision === null ? [] : [l.precision]))),
          recall: spread(localised.map((l) => l.recall)),
          viewedRecall: spread(localised.map((l) => l.viewedRecall)),
        }
      : null,
    rounds: roundRates(scoredRounds(runs)),
  };
}

/**
 * The round outcomes of the scored runs. An unscored run (an infrastructure error in a later round, cancelled) is
 * no failure in any round, its earlier rounds included: `rollout run`'s summary leaves it out the same way.
 */
function scoredRounds(runs: readonly RunFacts[]): RoundOutcome[][] {
  return runs.flatMap((run) => (run.resolved !== null && run.analytics.rounds ? [run.analytics.rounds] : []));
}

/** Success by round r over scored runs with rounds; a run that stopped before r keeps its last round's outcome. */
function roundRates(runs: RoundOutcome[][]): GroupAnalytics['rounds'] {
  const last = runs.reduce((most, rounds) => Math.max(most, rounds.at(-1)?.round ?? 0), 0);
  const rates: GroupAnalytics['rounds'] = [];
  for (let round = 1; round <= last; round++) {
    const succeeded = runs.filter((rounds) => rounds.filter((outcome) => outcome.round <= round).at(-1)?.succeeded);
    const successRate = succeeded.length / runs.length;
    rates.push({
      round,
      successRate,
      gain: round > 1 ? successRate - rates[round - 2].successRate : null,
      runs: runs.length,
    });
  }
  return rates;
}

function taskRows(items: readonly Classified[]): TaskRow[] {
  return [...groupBy(items, (item) => item.run.taskId)]
    .sort(([a], [b]) => compare(a, b))
    .map(([taskId, taskItems]) => {
      const cells: Record<string, MatrixCell> = {};
      for (const [group, groupItems] of groupBy(taskItems, (item) => item.group)) {
        const runs = groupItems.map((item) => item.run).sort(byAttempt);
        const counts = resolvedCounts(runs);
        cells[group] = {
          resolved: counts.resolved,
          scored: counts.scored,
          runs: runs.map((run) => ({
            runId: run.runId,
            path: run.path,
            attempt: run.attempt,
            status: run.status,
            resolved: run.resolved,
            reward: run.reward,
          })),
        };
      }
      const { dataset, categories } = taskItems[0].info;
      return { taskId, dataset, categories, cells };
    });
}

function comparisons(
  order: string[],
  byGroup: Map<string, Classified[]>,
  bootstrap: Required<BootstrapOptions>,
): Comparison[] {
  const result: Comparison[] = [];
  for (let i = 0; i < order.length; i++)
    for (let j = i + 1; j < order.length; j++)
      result.push(
        compareGroups(
          order[i],
          order[j],
          byGroup.get(order[i])!.map((item) => item.run),
          byGroup.get(order[j])!.map((item) => item.run),
          bootstrap,
        ),
      );
  return result;
}

/**
 * McNemar pairs the i-th scored attempt of a task in one group with its i-th in the other (attempt order);
 * the reward's bootstrap interval and sign-flip test take each task's difference of its mean rewards as one unit.
 */
function compareGroups(
  first: string,
  second: string,
  firstRuns: RunFacts[],
  secondRuns: RunFacts[],
  bootstrap: Required<BootstrapOptions>,
): Comparison {
  const firstByTask = groupBy(firstRuns, (run) => run.taskId);
  const secondByTask = groupBy(secondRuns, (run) => run.taskId);
  let pairs = 0;
  let onlyFirstPairs = 0;
  let onlySecondPairs = 0;
  const onlyFirst: string[] = [];
  const onlySecond: string[] = [];
  for (const [taskId, aRuns] of [...firstByTask].sort(([a], [b]) => compare(a, b))) {
    const bRuns = secondByTask.get(taskId);
    if (!bRuns) continue;
    const a = scoredInOrder(aRuns);
    const b = scoredInOrder(bRuns);
    if (a.length === 0 || b.length === 0) continue;
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      pairs += 1;
      if (a[i] && !b[i]) onlyFirstPairs += 1;
      if (!a[i] && b[i]) onlySecondPairs += 1;
    }
    if (a.some(Boolean) && !b.some(Boolean)) onlyFirst.push(taskId);
    if (!a.some(Boolean) && b.some(Boolean)) onlySecond.push(taskId);
  }
  const firstRewards = taskMeanRewards(firstRuns);
  const secondRewards = taskMeanRewards(secondRuns);
  const differences = [...firstRewards]
    .filter(([taskId]) => secondRewards.has(taskId))
    .sort(([a], [b]) => compare(a, b))
    .map(([taskId, reward]) => reward - secondRewards.get(taskId)!);
  const interval = pairedBootstrap(differences, bootstrap);
  const test = signFlipTest(differences, bootstrap);
  return {
    first,
    second,
    mcnemar: pairs > 0 ? { ...mcnemar(onlyFirstPairs, onlySecondPairs), pairs } : null,
    reward: interval && test ? { ...interval, ...test, tasks: differences.length } : null,
    onlyFirst,
    onlySecond,
  };
}

function scoredInOrder(runs: RunFacts[]): boolean[] {
  return [...runs]
    .sort(byAttempt)
    .filter((run) => run.resolved !== null)
    .map((run) => run.resolved === true);
}

function categoryRows(
  order: string[],
  items: readonly Classified[],
  bootstrap: Required<BootstrapOptions>,
): CategoryRow[] {
  const rows: CategoryRow[] = [];
  const dimensions = sortedUnique(items.flatMap((item) => Object.keys(item.info.categories)));
  for (const dimension of dimensions) {
    const byValue = groupBy(
      items.filter((item) => item.info.categories[dimension] !== undefined),
      (item) => item.info.categories[dimension],
    );
    for (const [value, valueItems] of [...byValue].sort(([a], [b]) => compare(a, b))) {
      const byGroup = groupBy(valueItems, (item) => item.group);
      const groups: CategoryRow['groups'] = {};
      for (const group of order) {
        const groupItems = byGroup.get(group);
        if (groupItems)
          groups[group] = resolvedRate(
            groupItems.map((item) => item.run),
            bootstrap,
          );
      }
      rows.push({ dimension, value, groups });
    }
  }
  return rows;
}

function byAttempt(a: RunFacts, b: RunFacts): number {
  return a.attempt - b.attempt || compare(a.runId, b.runId);
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    const list = groups.get(name);
    if (list) list.push(item);
    else groups.set(name, [item]);
  }
  return groups;
}

function addCounts(maps: Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const counts of maps)
    for (const [name, count] of Object.entries(counts)) total[name] = (total[name] ?? 0) + count;
  return Object.fromEntries(Object.entries(total).sort(([a, x], [b, y]) => y - x || compare(a, b)));
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function sortedUnique(values: string[]): string[] {
  return [...new Set(values)].sort(compare);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
