/**
 * End to end: two policies run on the bundled tasks in real Docker through the real CLI (the reference
 * recordings, and a deliberately weaker replay set built here), then `rollout report`; every figure the test
 * checks is recomputed from the run files through the trajectory reader, not through the report's code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadRecordedMessages } from '../../../src/core/agent/policies/recordedPolicy';
import type { AssistantMessage } from '../../../src/core/agent/policies/policy';
import { packageRoot } from '../../../src/core/paths';
import type { GroupReport, Report } from '../../../src/core/report/model';
import { writeTrajectory } from '../../../src/core/trajectory/import/importer';
import { findTrajectoryLogs, readTrajectoryLog } from '../../../src/core/trajectory/reader';
import type { Trajectory } from '../../../src/core/trajectory/types';
import { openReport } from './chromium';

const ROOT = packageRoot();
const CLI = join(ROOT, 'dist', 'cli.js');
const EXAMPLES = join(ROOT, 'tasks', 'examples');
/** Two Python tasks, one JavaScript, one Go. */
const TASKS = ['chronoparse__chronoparse-31', 'pagekit__pagekit-14', 'pathnorm__pathnorm-5', 'semverkit__semverkit-7'];
/**
 * The policies by the names a user gives them, run from the folder that holds both recordings (the bundled set
 * linked in as `reference`): the report and its screenshot name them so, not by a checkout's path.
 */
const REFERENCE = 'recorded:reference';
const WEAKER = 'recorded:weaker';
/** Where the screenshot for media/screenshots/ is left. */
const SCREENSHOT = join(ROOT, 'out', 'report', 'screenshots', 'report-html.png');

function cli(cwd: string, args: string[]): string {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(result.status, 0, `rollout ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** The assistant messages with fresh tool-call ids, so that a repeated step is a new call. */
function renumbered(messages: AssistantMessage[], tag: string): AssistantMessage[] {
  return messages.map((message, m) => ({
    ...message,
    ...(message.tool_calls
      ? { tool_calls: message.tool_calls.map((call, c) => ({ ...call, id: `call_${tag}_${m}_${c}` })) }
      : {}),
  }));
}

function recording(taskId: string, attempt: number, messages: AssistantMessage[]): Trajectory {
  return {
    run: {
      run_id: `weak-${taskId}-a${attempt}`,
      task_id: taskId,
      attempt,
      policy: 'recording:weaker',
      model: { name: 'weaker', parameters: {} },
      tools: [],
      tool_versions: {},
      started_at: '2026-12-01T00:00:00.000Z',
    },
    turns: renumbered(messages, `${attempt}`).map((message, index) => ({
      index,
      messages: [message],
      observations: [],
    })),
    events: [],
  };
}

/** A test run that fails: the reproduction test it names was never written. */
const MISSING_TEST_RUN: AssistantMessage = {
  role: 'assistant',
  content: 'Let me reproduce the bug with a test first.',
  tool_calls: [
    {
      id: 'call_reproduce',
      type: 'function',
      function: {
        name: 'bash',
        arguments: JSON.stringify({ command: 'python3 -m pytest -p no:cacheprovider tests/test_reproduce.py' }),
      },
    },
  ],
};

/**
 * The weaker policy. Attempt 0: on the first two tasks (Python) it first runs a test that fails (a failure it
 * then recovers from) and solves the task the long way; on the others it makes the reference's naive change.
 * Attempt 1: it views the same file four times in a row (a loop) and gives up.
 */
async function buildWeakerReplays(dir: string): Promise<void> {
  for (const [i, taskId] of TASKS.entries()) {
    const solved = await loadRecordedMessages(join(EXAMPLES, taskId, 'reference', 'solved', 'trajectory.jsonl'));
    const unsolved = await loadRecordedMessages(join(EXAMPLES, taskId, 'reference', 'unsolved', 'trajectory.jsonl'));
    const view = solved.find((message) => message.tool_calls?.some((call) => call.function.name === 'view'))!;
    const first = i < 2 ? [solved[0], MISSING_TEST_RUN, ...solved.slice(1)] : unsolved;
    const second = [view, view, view, view, unsolved.at(-1)!];
    for (const [attempt, messages] of [first, second].entries()) {
      await writeTrajectory(join(dir, `a${attempt}`), recording(taskId, attempt, messages));
    }
  }
}

interface RunFile {
  trajectory: Trajectory;
  policy: string;
}

async function readRuns(dir: string): Promise<RunFile[]> {
  const runs: RunFile[] = [];
  for await (const log of findTrajectoryLogs([dir])) {
    const { trajectory, problems } = await readTrajectoryLog(log);
    assert.deepEqual(problems, []);
    runs.push({ trajectory: trajectory!, policy: trajectory!.run.policy });
  }
  return runs;
}

function comb(n: number, k: number): number {
  let value = 1;
  for (let i = 1; i <= k; i++) value = (value * (n - k + i)) / i;
  return value;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = (sorted.length - 1) / 2;
  return (sorted[Math.floor(middle)] + sorted[Math.ceil(middle)]) / 2;
}

function close(actual: number | null | undefined, expected: number, what: string): void {
  assert.ok(
    actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-9,
    `${what}: ${actual} ≠ ${expected}`,
  );
}

/** The leaderboard figures of one policy, recomputed from its run files. */
function checkGroup(group: GroupReport, runs: RunFile[]): void {
  const byTask = new Map<string, boolean[]>();
  for (const { trajectory } of runs) {
    const list = byTask.get(trajectory.run.task_id) ?? [];
    list[trajectory.run.attempt] = trajectory.result?.reward?.resolved === true;
    byTask.set(trajectory.run.task_id, list);
  }
  const outcomes = [...byTask.values()];
  const rates = outcomes.map((list) => list.filter(Boolean).length / list.length);
  assert.equal(group.runs, runs.length);
  assert.equal(group.tasks, byTask.size);
  close(group.resolved?.value, rates.reduce((sum, rate) => sum + rate, 0) / rates.length, `${group.key} resolved`);
  const interval = group.resolved!.interval!;
  assert.ok(interval.low <= group.resolved!.value && group.resolved!.value <= interval.high);
  for (const k of [1, 2]) {
    const passAt = outcomes.map(
      (list) => 1 - comb(list.length - list.filter(Boolean).length, k) / comb(list.length, k),
    );
    const passHat = outcomes.map((list) => comb(list.filter(Boolean).length, k) / comb(list.length, k));
    close(group.passAtK[k - 1].value, passAt.reduce((a, b) => a + b, 0) / passAt.length, `${group.key} pass@${k}`);
    close(group.passHatK[k - 1].value, passHat.reduce((a, b) => a + b, 0) / passHat.length, `${group.key} pass^${k}`);
  }
  const rewards = runs.map(({ trajectory }) => trajectory.result!.reward!.value!);
  close(group.meanReward?.value, rewards.reduce((a, b) => a + b, 0) / rewards.length, `${group.key} mean reward`);
  assert.deepEqual(group.statuses, { submitted: runs.length });
  close(group.turns.median, median(runs.map(({ trajectory }) => trajectory.turns.length)), `${group.key} turns`);
  const tools: Record<string, number> = {};
  for (const { trajectory } of runs)
    for (const turn of trajectory.turns)
      for (const observation of turn.observations) tools[observation.tool] = (tools[observation.tool] ?? 0) + 1;
  assert.deepEqual(Object.entries(group.analytics.tools).sort(), Object.entries(tools).sort(), `${group.key} tool use`);
}

describe('rollout report on two policies run in real Docker (the real CLI)', { timeout: 20 * 60_000 }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'rollout-report-e2e-'));
  const out = join(scratch, 'runs');
  let report: Report;
  let runs: RunFile[];

  before(async () => {
    await buildWeakerReplays(join(scratch, 'weaker'));
    symlinkSync(EXAMPLES, join(scratch, 'reference'));
    for (const policy of [REFERENCE, WEAKER])
      cli(scratch, [
        'run',
        '--tasks',
        EXAMPLES,
        '--ids',
        TASKS.join(','),
        '--policy',
        policy,
        '--attempts',
        '2',
        '--workers',
        '2',
        '--out',
        'runs',
      ]);
    report = JSON.parse(
      cli(scratch, ['report', 'runs', '--tasks', EXAMPLES, '--json', '--html', 'report.html']),
    ) as Report;
    runs = await readRuns(out);
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('the leaderboard: the reference above the weaker set, every figure as the run files give it', () => {
    assert.equal(runs.length, 16);
    assert.deepEqual(
      report.groups.map((group) => group.key),
      [REFERENCE, WEAKER],
    );
    for (const group of report.groups)
      checkGroup(
        group,
        runs.filter((run) => run.policy === group.key),
      );
    assert.equal(report.groups[0].resolved?.value, 0.5);
    assert.equal(report.groups[1].resolved?.value, 0.25);
  });

  test('the paired comparison and the matrix', () => {
    const [comparison] = report.comparisons;
    assert.deepEqual(
      [comparison.mcnemar?.pairs, comparison.mcnemar?.onlyFirst, comparison.mcnemar?.onlySecond],
      [8, 2, 0],
    );
    assert.equal(comparison.mcnemar?.pValue, 0.5);
    assert.deepEqual(comparison.onlyFirst, TASKS.slice(2));
    close(comparison.reward?.meanDifference, 0.25, 'reward difference');
    for (const row of report.tasks) {
      for (const [policy, cell] of Object.entries(row.cells)) {
        const mine = runs.filter(({ trajectory, policy: p }) => p === policy && trajectory.run.task_id === row.taskId);
        assert.equal(cell.runs.length, mine.length);
        assert.equal(cell.resolved, mine.filter(({ trajectory }) => trajectory.result?.reward?.resolved).length);
      }
    }
    assert.deepEqual(
      report.categories.filter((row) => row.dimension === 'language').map((row) => row.value),
      ['go', 'javascript', 'python'],
    );
  });

  test('inside the trajectories: the weaker set’s loops, its recovered test failures, localisation', () => {
    const [reference, weaker] = report.groups;
    assert.equal(reference.analytics.runsWithLoop, 0);
    assert.equal(weaker.analytics.runsWithLoop, 4, 'attempt 1 views the same file four times on every task');
    assert.equal(weaker.analytics.firstPassingTest.runs, 2);
    assert.ok(weaker.analytics.recovered >= 2, 'the failing test runs were made good by the passing ones');
    assert.equal(reference.analytics.localisation?.runs, 8, 'every task has a gold patch');
    close(reference.analytics.localisation?.precision.mean, 1, 'the reference edits only gold files');
  });

  test('the HTML report of these runs opens in headless chromium without errors and draws its charts', async () => {
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    const shown = await openReport(join(scratch, 'report.html'), join(scratch, 'report.png'));
    copyFileSync(join(scratch, 'report.png'), SCREENSHOT);
    assert.deepEqual(shown.errors, []);
    assert.deepEqual(shown.requests, []);
    assert.deepEqual(shown.drawnCharts, ['resolved', 'pass-at-k', 'cost', 'turns', 'tools']);
    assert.equal(shown.runLinks.length, 16);
  });
});
