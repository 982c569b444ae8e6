import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildReport, type ReportOptions } from '../../../src/core/report/buildReport';
import { TaskCatalog, UNKNOWN_DATASET } from '../../../src/core/report/catalog';
import { leaderboardColumns, leaderboardRow, rewardDifferenceText } from '../../../src/core/report/formatText';
import type { RoundOutcome, RunFacts } from '../../../src/core/report/model';
import type { Task } from '../../../src/core/task/task';

const T1 = 'org__x-1';
const T2 = 'org__x-2';
const T3 = 'other__y-3';

function run(
  policy: string,
  taskId: string,
  attempt: number,
  resolved: boolean | null,
  extra: Partial<RunFacts> = {},
): RunFacts {
  return {
    runId: `${policy}-${taskId}-${attempt}`,
    path: `/runs/${policy}-${taskId}-${attempt}/trajectory.jsonl`,
    taskId,
    attempt,
    policy,
    model: policy.replace('openai:', ''),
    prompt: null,
    protocol: 'swe',
    status: resolved === null ? 'infra_error' : 'submitted',
    reward: resolved === null ? null : resolved ? 1 : 0,
    resolved,
    turns: 4 + attempt,
    tokens: 1000,
    costUsd: 0.25,
    wallSeconds: 30,
    analytics: {
      tools: { bash: 2, edit: 1 },
      commands: { pytest: 2 },
      failures: 1,
      recovered: resolved ? 1 : 0,
      firstEdit: { turn: 2, tokens: 500 },
      firstPassingTest: resolved ? { turn: 3, tokens: 800 } : null,
      testRuns: 2,
      repeatedTurns: 0,
      loop: false,
      compactions: 0,
      filesEdited: ['a.py'],
      localisation: null,
      rounds: null,
    },
    problems: 0,
    ...extra,
  };
}

/** A: t1 ✓✓, t2 ✓✗, t3 ✗✗. B: t1 ✓✗, t2 ✗✗, t3 ✗ and an infrastructure error. */
const RUNS = [
  run('openai:a', T1, 0, true),
  run('openai:a', T1, 1, true),
  run('openai:a', T2, 0, true),
  run('openai:a', T2, 1, false),
  run('openai:a', T3, 0, false),
  run('openai:a', T3, 1, false),
  run('openai:b', T1, 0, true),
  run('openai:b', T1, 1, false),
  run('openai:b', T2, 0, false),
  run('openai:b', T2, 1, false),
  run('openai:b', T3, 0, false),
  run('openai:b', T3, 1, null),
];

function options(overrides: Partial<ReportOptions> = {}): ReportOptions {
  return {
    by: 'policy',
    bootstrap: { resamples: 1000, seed: 0, level: 0.95 },
    sources: ['/runs'],
    problems: [],
    generatedAt: '2026-12-01T00:00:00.000Z',
    ...overrides,
  };
}

function close(actual: number | null | undefined, expected: number): void {
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);
}

describe('the report built from runs’ facts (figures worked out by hand)', () => {
  const report = buildReport(RUNS, new TaskCatalog(), options());
  const [a, b] = report.groups;

  test('the leaderboard ranks by resolved rate: the mean over tasks of resolved / scored attempts', () => {
    assert.deepEqual(
      report.groups.map((group) => group.key),
      ['openai:a', 'openai:b'],
    );
    close(a.resolved?.value, (1 + 0.5 + 0) / 3);
    close(b.resolved?.value, (0.5 + 0 + 0) / 3);
    assert.equal(b.resolved?.runs, 5, 'the infrastructure error is not scored');
    assert.equal(b.scoredRuns, 5);
    assert.deepEqual(b.statuses, { submitted: 5, infra_error: 1 });
    assert.ok(a.resolved!.interval!.low <= a.resolved!.value && a.resolved!.value <= a.resolved!.interval!.high);
  });

  test('pass@k and pass^k per k, over the tasks with at least k scored attempts', () => {
    assert.deepEqual(
      a.passAtK.map((point) => [point.k, point.tasks]),
      [
        [1, 3],
        [2, 3],
      ],
    );
    close(a.passAtK[1].value, (1 + 1 + 0) / 3);
    close(a.passHatK[1].value, (1 + 0 + 0) / 3);
    assert.equal(b.passAtK[1].tasks, 2, 'task 3 has one scored attempt in B');
    close(b.passAtK[1].value, (1 + 0) / 2);
  });

  test('costs, tokens, turns, wall time and the analytics add up over the runs', () => {
    assert.equal(a.costUsd.total, 1.5);
    assert.equal(a.tokens.median, 1000);
    assert.deepEqual(a.turnsHistogram, [
      [4, 3],
      [5, 3],
    ]);
    assert.equal(a.turns.median, 4.5);
    assert.deepEqual(a.analytics.tools, { bash: 12, edit: 6 });
    assert.equal(a.analytics.failures, 6);
    assert.equal(a.analytics.recovered, 3);
    assert.equal(a.analytics.errorRecoveryRate, 0.5);
    assert.equal(a.analytics.firstPassingTest.runs, 3);
  });

  test('the matrix lists every task’s attempts per group, in attempt order, for the playback links', () => {
    assert.deepEqual(
      report.tasks.map((row) => row.taskId),
      [T1, T2, T3],
    );
    const t3 = report.tasks[2];
    assert.deepEqual([t3.cells['openai:b'].resolved, t3.cells['openai:b'].scored], [0, 1]);
    assert.deepEqual(
      t3.cells['openai:b'].runs.map((cell) => [cell.attempt, cell.status]),
      [
        [0, 'submitted'],
        [1, 'infra_error'],
      ],
    );
    assert.equal(t3.dataset, UNKNOWN_DATASET);
    assert.deepEqual(t3.categories, { repo: 'other/y' }, 'the repository from the SWE-bench-style id');
  });

  test('the paired comparison: McNemar on attempt pairs, bootstrap and sign-flip on per-task reward, tasks only one solves', () => {
    const [comparison] = report.comparisons;
    assert.equal(comparison.first, 'openai:a');
    assert.deepEqual(comparison.mcnemar, {
      onlyFirst: 2,
      onlySecond: 0,
      test: 'exact-binomial',
      pValue: 0.5,
      pairs: 5,
    });
    assert.equal(comparison.reward?.tasks, 3);
    close(comparison.reward?.meanDifference, (0.5 + 0.5 + 0) / 3);
    // Differences 0.5, 0.5, 0: 2 of the 8 sign assignments (t3's either way) have a mean ≤ 0, p = 2 · 2/8.
    assert.equal(comparison.reward?.test, 'exact-sign-flip');
    assert.equal(comparison.reward?.pValue, 0.5);
    assert.deepEqual(comparison.onlyFirst, [T2]);
    assert.deepEqual(comparison.onlySecond, []);
  });

  test('one shared task, resolved by one group only: the exact sign-flip p is 1, however one-sided the bootstrap', () => {
    const [comparison] = buildReport(
      [run('openai:a', T1, 0, true), run('openai:b', T1, 0, false)],
      new TaskCatalog(),
      options(),
    ).comparisons;
    assert.equal(
      rewardDifferenceText(comparison.reward!),
      '1.000 over 1 tasks, paired bootstrap 95% CI [1.000, 1.000], sign-flip p = 1.000 (exact)',
    );
  });

  test('over more than 20 shared tasks the sign-flip p is Monte Carlo, with the report’s resamples and seed', () => {
    const tasks = Array.from({ length: 21 }, (_, i) => `org__z-${i}`);
    const runs = tasks.flatMap((task) => [run('openai:a', task, 0, true), run('openai:b', task, 0, false)]);
    const [comparison] = buildReport(runs, new TaskCatalog(), options()).comparisons;
    assert.deepEqual([comparison.reward?.test, comparison.reward?.assignments], ['monte-carlo-sign-flip', 1000]);
    // A random assignment has a mean ≥ the observed 1 only if it flips no task (a chance of 2⁻²¹ each), so none of
    // the 1000 does: p = 2 · (0 + 1)/(1000 + 1).
    assert.equal(comparison.reward?.pValue, 2 / 1001);
    assert.equal(
      rewardDifferenceText(comparison.reward!),
      '1.000 over 21 tasks, paired bootstrap 95% CI [1.000, 1.000], sign-flip p = 0.002 (Monte Carlo, 1000 resamples)',
    );
  });

  test('rates per category value', () => {
    const orgX = report.categories.find((row) => row.value === 'org/x')!;
    close(orgX.groups['openai:a']?.value, 0.75);
    close(orgX.groups['openai:b']?.value, 0.25);
    assert.equal(orgX.groups['openai:a']?.tasks, 2);
  });

  test('filters keep one group or one dataset; the facets still list everything', () => {
    const onlyB = buildReport(RUNS, new TaskCatalog(), options({ groups: ['openai:b'] }));
    assert.deepEqual(
      onlyB.groups.map((group) => group.key),
      ['openai:b'],
    );
    assert.deepEqual(onlyB.comparisons, []);
    assert.deepEqual(onlyB.facets.groups, ['openai:a', 'openai:b']);

    const catalog = new TaskCatalog();
    catalog.add([task(T1, 'python')], 'lite.json');
    const lite = buildReport(RUNS, catalog, options({ datasets: ['lite.json'] }));
    assert.equal(lite.runs, 4);
    assert.deepEqual(lite.facets.datasets, [UNKNOWN_DATASET, 'lite.json']);
    assert.deepEqual(lite.tasks[0].categories, { repo: 'org/x', language: 'python' });
  });

  test('success by round: a run that ended earlier keeps its last round’s outcome; the gain per round', () => {
    const withRounds = (runId: string, rounds: { round: number; succeeded: boolean }[]) => {
      const facts = run('openai:feedback', runId, 0, rounds.at(-1)!.succeeded);
      return { ...facts, runId, analytics: { ...facts.analytics, rounds } };
    };
    const rounds = buildReport(
      [
        withRounds('t1', [
          { round: 1, succeeded: false },
          { round: 2, succeeded: true },
        ]),
        withRounds('t2', [{ round: 1, succeeded: true }]),
        withRounds('t3', [
          { round: 1, succeeded: false },
          { round: 2, succeeded: false },
        ]),
      ],
      new TaskCatalog(),
      options(),
    ).groups[0].analytics.rounds;
    assert.deepEqual(
      rounds.map((round) => [round.round, round.runs]),
      [
        [1, 3],
        [2, 3],
      ],
    );
    close(rounds[0].successRate, 1 / 3);
    close(rounds[1].successRate, 2 / 3);
    close(rounds[1].gain, 1 / 3);
    assert.equal(rounds[0].gain, null);
  });

  test('success by round leaves out unscored runs: an infrastructure error after a failed round is no failure', () => {
    const withRounds = (runId: string, resolved: boolean | null, rounds: RoundOutcome[]) => {
      const facts = run('openai:feedback', runId, 0, resolved);
      return { ...facts, runId, analytics: { ...facts.analytics, rounds } };
    };
    const rounds = buildReport(
      [
        withRounds('t1', true, [
          { round: 1, succeeded: false },
          { round: 2, succeeded: true },
        ]),
        // Round 1 failed, round 2's grading hit an infrastructure error: the run has no reward.
        withRounds('t2', null, [{ round: 1, succeeded: false }]),
      ],
      new TaskCatalog(),
      options(),
    ).groups[0].analytics.rounds;
    assert.deepEqual(
      rounds.map((round) => [round.round, round.successRate, round.runs]),
      [
        [1, 0, 1],
        [2, 1, 1],
      ],
    );
  });

  test('an unknown cost stays unknown: left out of the cost figures, counted, and shown as unknown, never $0', () => {
    const unpriced = [
      run('openai:priced', T1, 0, true),
      run('openai:priced', T2, 0, false, { costUsd: null }),
      run('openai:unpriced', T1, 0, true, { costUsd: null }),
    ];
    const groups = buildReport(unpriced, new TaskCatalog(), options()).groups;
    const [priced, none] = ['openai:priced', 'openai:unpriced'].map((key) => groups.find((g) => g.key === key)!);
    assert.deepEqual(priced.costUsd, { median: 0.25, p90: 0.25, mean: 0.25, total: 0.25, unknownRuns: 1 });
    assert.deepEqual(none.costUsd, { median: null, p90: null, mean: null, total: 0, unknownRuns: 1 });
    const costColumn = leaderboardColumns('policy').indexOf('cost');
    assert.equal(leaderboardRow(priced, 1)[costColumn], '$0.25 (1 unknown)');
    assert.equal(leaderboardRow(none, 2)[costColumn], 'unknown');
    assert.equal(leaderboardRow(a, 1)[costColumn], '$1.50');
  });

  test('--by model groups by the model name', () => {
    const byModel = buildReport(RUNS, new TaskCatalog(), options({ by: 'model' }));
    assert.deepEqual(
      byModel.groups.map((group) => group.key),
      ['a', 'b'],
    );
  });
});

function task(id: string, language: string): Task {
  return {
    id,
    kind: 'swe-bench',
    repo: { name: 'org/x', location: 'https://example.invalid/org/x.git' },
    problemStatement: '',
    hints: '',
    language,
    testPatch: '',
    goldPatch: 'diff --git a/src/x.py b/src/x.py\n',
    failToPass: [],
    passToPass: [],
  };
}
