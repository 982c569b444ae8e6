/** The report as plain-text tables for a terminal: the leaderboard, comparisons, categories, analytics, the matrix. */
import type { BootstrapInterval } from './bootstrap';
import type { Spread } from './estimators';
import type { Comparison, GroupReport, RateWithInterval, Report } from './model';

/** Tasks the matrix prints before it points to --json / --html for the rest. */
const MATRIX_ROWS = 40;

function percent(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(digits)}%`;
}

function intervalText(interval: BootstrapInterval | null): string {
  return interval ? `[${percent(interval.low)}, ${percent(interval.high)}]` : '';
}

function rateText(value: RateWithInterval | null): string {
  return value ? `${percent(value.value)} ${intervalText(value.interval)}`.trimEnd() : '—';
}

function number(value: number | null, digits = 0): string {
  return value === null ? '—' : value.toFixed(digits);
}

function medianP90(value: Spread, digits = 0): string {
  return value.median === null ? '—' : `${number(value.median, digits)} / ${number(value.p90, digits)}`;
}

/** `p = 0.012`, `p = 1.9e-6`. */
function pValueText(p: number): string {
  return `p = ${p < 0.001 ? p.toExponential(1) : p.toFixed(3)}`;
}

/** Columns padded to their widest cell. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) => rows.reduce((widest, row) => Math.max(widest, row[i].length), cell.length));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function leaderboardColumns(by: string): string[] {
  return [
    '#',
    by,
    'runs',
    'tasks',
    'resolved [95% CI]',
    'pass@k',
    'pass^k',
    'mean reward',
    'cost',
    'tokens med/p90',
    'turns med/p90',
    'wall s med/p90',
    'exit statuses',
  ];
}

/** One group's leaderboard row, in the order of leaderboardColumns. */
export function leaderboardRow(group: GroupReport, rank: number): string[] {
  const curve = (points: GroupReport['passAtK']) =>
    points.map((point) => `${point.k}:${percent(point.value, 0)}`).join(' ');
  return [
    String(rank),
    group.label,
    String(group.runs),
    String(group.tasks),
    rateText(group.resolved),
    curve(group.passAtK),
    curve(group.passHatK),
    group.meanReward ? group.meanReward.value.toFixed(3) : '—',
    costText(group),
    medianP90(group.tokens),
    medianP90(group.turns),
    medianP90(group.wallSeconds, 1),
    Object.entries(group.statuses)
      .map(([status, count]) => `${status} ${count}`)
      .join(', '),
  ];
}

export function analyticsColumns(by: string): string[] {
  return [
    by,
    'tool calls',
    'shell programs',
    'error recovery',
    'first edit: runs, turn, tokens (med/p90)',
    'first passing test: runs, turn, tokens',
    'loops',
    'localisation (mean)',
    'compactions',
    'success by round',
  ];
}

/** One group's trajectory analytics, in the order of analyticsColumns. */
export function analyticsRow(group: GroupReport): string[] {
  const a = group.analytics;
  const counts = (map: Record<string, number>, most: number) =>
    Object.entries(map)
      .slice(0, most)
      .map(([name, count]) => `${name} ${count}`)
      .join(', ') || '—';
  const milestone = (m: GroupReport['analytics']['firstEdit']) =>
    `${m.runs}; ${medianP90(m.turns)}; ${medianP90(m.tokens)}`;
  return [
    group.label,
    counts(a.tools, 8),
    counts(a.commands, 6),
    a.errorRecoveryRate === null ? '—' : `${percent(a.errorRecoveryRate)} of ${a.failures}`,
    milestone(a.firstEdit),
    milestone(a.firstPassingTest),
    `${a.runsWithLoop} runs; repeated turns ${medianP90(a.repeatedTurns)}`,
    a.localisation
      ? `P ${percent(a.localisation.precision.mean, 0)} R ${percent(a.localisation.recall.mean, 0)} seen ${percent(a.localisation.viewedRecall.mean, 0)} (${a.localisation.runs} runs)`
      : '—',
    `${a.compactions} in ${a.runsWithCompaction} runs`,
    a.rounds.length ? a.rounds.map((round) => `${round.round}:${percent(round.successRate, 0)}`).join(' ') : '—',
  ];
}

export function mcnemarText(m: NonNullable<Comparison['mcnemar']>): string {
  return `only first ${m.onlyFirst}, only second ${m.onlySecond} of ${m.pairs} paired attempts, ${pValueText(m.pValue)} (${m.test})`;
}

/** `1.000 over 10 tasks, paired bootstrap 95% CI [1.000, 1.000], sign-flip p = 0.002 (exact)`. */
export function rewardDifferenceText(r: NonNullable<Comparison['reward']>): string {
  const test = r.test === 'exact-sign-flip' ? 'exact' : `Monte Carlo, ${r.assignments} resamples`;
  return `${r.meanDifference.toFixed(3)} over ${r.tasks} tasks, paired bootstrap 95% CI [${r.interval.low.toFixed(3)}, ${r.interval.high.toFixed(3)}], sign-flip ${pValueText(r.pValue)} (${test})`;
}

export function categoryCell(value: RateWithInterval | null | undefined): string {
  return value ? `${rateText(value)} (${value.tasks} tasks)` : '—';
}

function leaderboard(report: Report): string {
  return table(
    leaderboardColumns(report.by),
    report.groups.map((group, i) => leaderboardRow(group, i + 1)),
  );
}

function comparisons(report: Report): string[] {
  return report.comparisons.map((comparison) =>
    [
      `${comparison.first}  vs  ${comparison.second}`,
      `  resolved, McNemar: ${comparison.mcnemar ? mcnemarText(comparison.mcnemar) : '—'}`,
      `  reward difference: ${comparison.reward ? rewardDifferenceText(comparison.reward) : '—'}`,
      `  solved only by the first: ${comparison.onlyFirst.join(', ') || '—'}`,
      `  solved only by the second: ${comparison.onlySecond.join(', ') || '—'}`,
    ].join('\n'),
  );
}

function categories(report: Report): string {
  return table(
    ['category', 'value', ...report.groups.map((group) => group.label)],
    report.categories.map((row) => [
      row.dimension,
      row.value,
      ...report.groups.map((group) => categoryCell(row.groups[group.key])),
    ]),
  );
}

function analytics(report: Report): string {
  return table(analyticsColumns(report.by), report.groups.map(analyticsRow));
}

function matrix(report: Report): string {
  const groups = report.groups.map((group) => group.key);
  const rows = report.tasks
    .slice(0, MATRIX_ROWS)
    .map((task) => [
      task.taskId,
      ...groups.map((group) => (task.cells[group] ? `${task.cells[group].resolved}/${task.cells[group].scored}` : '—')),
    ]);
  const more =
    report.tasks.length > MATRIX_ROWS ? `\n… ${report.tasks.length - MATRIX_ROWS} more tasks in --json / --html` : '';
  return `${table(['task', ...report.groups.map((group) => group.label)], rows)}${more}`;
}

export function formatReport(report: Report): string {
  if (report.groups.length === 0) return `no runs found in ${report.sources.join(', ')}`;
  const sections = [
    `Leaderboard by ${report.by}: ${report.runs} runs (resolved = mean over tasks of resolved/scored attempts; 95% bootstrap CI over tasks, ${report.bootstrap.resamples} resamples, seed ${report.bootstrap.seed})`,
    leaderboard(report),
  ];
  if (report.comparisons.length) sections.push('\nPaired comparisons', ...comparisons(report));
  if (report.categories.length) sections.push('\nResolved by category', categories(report));
  sections.push('\nInside the trajectories (medians / p90)', analytics(report));
  sections.push('\nResolved attempts / scored attempts per task', matrix(report));
  if (report.problems.length)
    sections.push(`\n${report.problems.length} problem(s) in the logs (the rest was read; see --json for each)`);
  return sections.join('\n');
}

/** The known runs' total cost, and how many runs' costs are unknown (left out of it). */
function costText({ costUsd: cost, runs }: GroupReport): string {
  if (cost.unknownRuns === 0) return `$${cost.total.toFixed(2)}`;
  if (cost.unknownRuns === runs) return 'unknown';
  return `$${cost.total.toFixed(2)} (${cost.unknownRuns} unknown)`;
}
