import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { formatExecObservation } from '../../../src/core/agent/tools/bash';
import { packageRoot } from '../../../src/core/paths';
import { commandProgram, classifyAction } from '../../../src/core/report/actions';
import { TaskCatalog } from '../../../src/core/report/catalog';
import { collectRunFacts } from '../../../src/core/report/collect';
import { readRunFacts } from '../../../src/core/report/runFacts';
import { importTrajectories, writeTrajectory } from '../../../src/core/trajectory/import/importer';
import type { Observation, Trajectory, Turn } from '../../../src/core/trajectory/types';

const PATCH_APP = 'diff --git a/src/app.py b/src/app.py\n--- a/src/app.py\n+++ b/src/app.py\n@@ -1 +1 @@\n-a\n+b\n';
const PATCH_README = 'diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-x\n+y\n';

function bash(command: string, exitCode: number, stdout = ''): Observation {
  return {
    tool_call_id: null,
    tool: 'bash',
    arguments: JSON.stringify({ command }),
    output: formatExecObservation({ exitCode, stdout, stderr: '', timedOut: false, truncated: false }),
    truncated: false,
    is_error: false,
  };
}

function tool(name: string, args: Record<string, unknown>, isError = false, output = 'ok'): Observation {
  return {
    tool_call_id: null,
    tool: name,
    arguments: JSON.stringify(args),
    output,
    truncated: false,
    is_error: isError,
  };
}

/** A turn whose assistant message calls the observations' tools, with the work tree's diff after it. */
function turn(index: number, observations: Observation[], diff: string): Turn {
  const calls = observations.map((observation, i) => ({
    id: `call_${index}_${i}`,
    type: 'function' as const,
    function: { name: observation.tool, arguments: observation.arguments ?? '{}' },
  }));
  return {
    index,
    messages: [
      ...(index === 0
        ? [
            { role: 'system' as const, content: 'You are a careful engineer. Fix the bug.' },
            { role: 'user' as const, content: 'The app is broken.' },
          ]
        : []),
      { role: 'assistant', content: null, tool_calls: calls },
      ...calls.map((call, i) => ({ role: 'tool' as const, tool_call_id: call.id, content: observations[i].output })),
    ],
    observations: observations.map((observation, i) => ({ ...observation, tool_call_id: calls[i].id })),
    diff,
    tokens: { input: 100, output: 10 },
    cost_usd: 0.01,
  };
}

function trajectory(runId: string, turns: Turn[], extra: Partial<Trajectory> = {}): Trajectory {
  return {
    run: {
      run_id: runId,
      task_id: 'acme__app-1',
      attempt: 0,
      policy: 'openai:model-a',
      model: { name: 'model-a', parameters: {} },
      tools: [],
      tool_versions: {},
      started_at: '2026-11-24T10:00:00.000Z',
    },
    turns,
    events: [],
    result: {
      exit_status: 'submitted',
      ended_at: '2026-11-24T10:02:30.000Z',
      patch: PATCH_APP + PATCH_README,
      reward: { value: 1, resolved: true },
      totals: {
        turns: turns.length,
        tokens_in: 100 * turns.length,
        tokens_out: 10 * turns.length,
        cost_usd: 0.5,
        duration_ms: 1,
      },
    },
    ...extra,
  };
}

const out = () => mkdtempSync(join(tmpdir(), 'rollout-report-facts-'));

describe('run facts and trajectory analytics, folded from a log', () => {
  test('edits, test runs, failures and their recovery, loops, compaction and localisation of one recorded run', async () => {
    const turns = [
      turn(0, [tool('view', { path: 'src/app.py' })], ''),
      turn(1, [bash('python -m pytest tests/test_app.py', 1, 'FAILED test_app')], ''),
      turn(2, [tool('edit', { command: 'str_replace', path: 'src/app.py' })], PATCH_APP),
      turn(3, [bash('python -m pytest tests/test_app.py', 0, '1 passed')], PATCH_APP),
      turn(4, [tool('edit', { command: 'str_replace', path: 'README.md' }, true, 'no match')], PATCH_APP),
      turn(5, [tool('edit', { command: 'str_replace', path: 'README.md' })], PATCH_APP + PATCH_README),
      ...[6, 7, 8, 9].map((index) => turn(index, [bash('ls', 0, 'README.md src')], PATCH_APP + PATCH_README)),
    ];
    const compaction = { kind: 'compaction', at: '2026-11-24T10:01:00.000Z', after_turn: 6, data: { turns_elided: 3 } };
    const path = await writeTrajectory(out(), trajectory('full', turns, { events: [compaction] }));
    const { facts, problems } = await readRunFacts(path, () => ['src/app.py', 'src/util.py']);
    assert.deepEqual(problems, []);
    assert.ok(facts);
    assert.equal(facts.status, 'submitted');
    assert.equal(facts.resolved, true);
    assert.equal(facts.turns, 10);
    assert.equal(facts.tokens, 1100);
    assert.equal(facts.costUsd, 0.5, 'the totals of run_finished');
    assert.equal(facts.wallSeconds, 150);
    assert.deepEqual(facts.prompt?.preview, 'You are a careful engineer. Fix the bug.');
    const a = facts.analytics;
    assert.deepEqual(a.tools, { view: 1, bash: 6, edit: 3 });
    assert.deepEqual(a.commands, { 'python -m pytest': 2, ls: 4 });
    assert.equal(a.testRuns, 2);
    assert.deepEqual(a.firstEdit, { turn: 3, tokens: 330 });
    assert.deepEqual(a.firstPassingTest, { turn: 4, tokens: 440 });
    assert.equal(a.failures, 2, 'the failing test run and the edit that found no match');
    assert.equal(a.recovered, 2, 'the next test run passed, the next edit worked');
    assert.equal(a.repeatedTurns, 4, 'the retried README edit and the three repeats of ls');
    assert.equal(a.loop, true, 'the same command and output four turns in a row');
    assert.equal(a.compactions, 1);
    assert.deepEqual(a.filesEdited, ['src/app.py', 'README.md']);
    assert.deepEqual(a.localisation, { goldFiles: 2, precision: 0.5, recall: 0.5, viewedRecall: 0.5 });
    assert.equal(a.rounds, null);
  });

  test('a failure never followed by a success of its kind stays unrecovered; three failing repeats are a loop', async () => {
    const failing = bash('python -m pytest', 2, 'ERROR');
    const path = await writeTrajectory(
      out(),
      trajectory('stuck', [turn(0, [failing], ''), turn(1, [failing], ''), turn(2, [failing], '')]),
    );
    const { facts } = await readRunFacts(path);
    assert.equal(facts?.analytics.failures, 3);
    assert.equal(facts?.analytics.recovered, 0);
    assert.equal(facts?.analytics.loop, true);
    assert.equal(facts?.analytics.firstPassingTest, null);
    assert.equal(facts?.analytics.firstEdit, null);
    assert.equal(facts?.analytics.localisation, null, 'no gold patch known');
  });

  test('CodeAssistBench rounds: success by round from the simulated user’s satisfaction, carried forward', async () => {
    const feedback = (round: number, status: string) => ({
      kind: 'user_feedback',
      at: '2026-11-24T10:01:00.000Z',
      after_turn: round,
      data: { round, status },
    });
    const cab = trajectory(
      'cab',
      [turn(0, [tool('view', { path: 'x' })], ''), turn(1, [tool('view', { path: 'y' })], '')],
      {
        events: [feedback(1, 'NOT_SATISFIED'), feedback(2, 'FULLY_SATISFIED')],
      },
    );
    cab.run.extra = { protocol: 'cab' }; // as version 0.1 recorded it: the name alone
    const { facts } = await readRunFacts(await writeTrajectory(out(), cab));
    assert.equal(facts?.protocol, 'cab');
    assert.deepEqual(facts?.analytics.rounds, [
      { round: 1, succeeded: false },
      { round: 2, succeeded: true },
    ]);
  });

  test('test-feedback rounds (MINT): success by round from each graded round, the protocol recorded as an object', async () => {
    const scored = (round: number, resolved: boolean | null) => ({
      kind: 'round_scored',
      at: '2026-11-24T10:01:00.000Z',
      after_turn: round,
      data: { round, reward: resolved === null ? null : Number(resolved), resolved, evaluation_status: 'completed' },
    });
    const feedback = trajectory(
      'feedback',
      [turn(0, [tool('view', { path: 'x' })], ''), turn(1, [tool('view', { path: 'y' })], '')],
      {
        events: [scored(1, false), scored(2, null), scored(2, false), scored(3, true)],
      },
    );
    feedback.run.extra = { protocol: { name: 'swe-feedback', spec: { feedback: { rounds: 2 } } } };
    const { facts } = await readRunFacts(await writeTrajectory(out(), feedback));
    assert.equal(facts?.protocol, 'swe-feedback');
    assert.deepEqual(
      facts?.analytics.rounds?.map((outcome) => outcome.succeeded),
      [false, false, true],
    );

    // A plain SWE run grades one round, without feedback: no rounds to report.
    const plain = trajectory('plain', [turn(0, [tool('view', { path: 'x' })], '')], { events: [scored(1, true)] });
    plain.run.extra = { protocol: { name: 'swe', spec: {} } };
    const { facts: plainFacts } = await readRunFacts(await writeTrajectory(out(), plain));
    assert.equal(plainFacts?.analytics.rounds, null);
  });

  test('an unfinished run and a run the machinery broke are unscored, never resolved = false', async () => {
    const unfinished = trajectory('killed', [turn(0, [tool('view', { path: 'x' })], '')]);
    delete unfinished.result;
    const broken = trajectory('infra', [turn(0, [tool('view', { path: 'x' })], '')]);
    broken.result = { exit_status: 'infra_error', ended_at: '2026-11-24T10:00:05.000Z', patch: '', reward: null };
    const dir = out();
    const killed = (await readRunFacts(await writeTrajectory(dir, unfinished))).facts;
    assert.equal(killed?.status, 'unfinished');
    assert.equal(killed?.resolved, null);
    assert.equal(killed?.tokens, 110, 'summed over the turns when there are no totals');
    const infra = (await readRunFacts(await writeTrajectory(dir, broken))).facts;
    assert.equal(infra?.status, 'infra_error');
    assert.equal(infra?.resolved, null);
    // A log edited by hand or written by another tool may carry a reward on such a run: it is still not a score.
    for (const exitStatus of ['infra_error', 'cancelled'] as const) {
      const graded = trajectory(`graded-${exitStatus}`, [turn(0, [tool('view', { path: 'x' })], '')]);
      graded.result = { ...broken.result, exit_status: exitStatus, reward: { value: 0, resolved: false } };
      const facts = (await readRunFacts(await writeTrajectory(dir, graded))).facts;
      assert.deepEqual([facts?.status, facts?.reward, facts?.resolved], [exitStatus, null, null]);
    }
  });

  test('a cost not known stays unknown: null totals, or an unfinished run with a turn that has no price', async () => {
    const priced = turn(0, [tool('view', { path: 'x' })], '');
    const unpricedTurn = turn(1, [tool('view', { path: 'y' })], '');
    delete unpricedTurn.cost_usd;
    const finished = trajectory('unpriced', [priced, unpricedTurn]);
    finished.result!.totals!.cost_usd = null;
    const unfinished = trajectory('unpriced-killed', [priced, unpricedTurn]);
    delete unfinished.result;
    const pricedUnfinished = trajectory('priced-killed', [priced]);
    delete pricedUnfinished.result;
    const dir = out();
    assert.equal((await readRunFacts(await writeTrajectory(dir, finished))).facts?.costUsd, null);
    assert.equal((await readRunFacts(await writeTrajectory(dir, unfinished))).facts?.costUsd, null);
    assert.equal((await readRunFacts(await writeTrajectory(dir, pricedUnfinished))).facts?.costUsd, 0.01);
  });

  test('malformed lines are named and skipped, the rest of the run still counts', async () => {
    const path = await writeTrajectory(out(), trajectory('damaged', [turn(0, [tool('view', { path: 'x' })], '')]));
    appendFileSync(path, '{"type":"turn","turn":{"index":"one"}}\n');
    const { facts, problems } = await readRunFacts(path);
    assert.equal(facts?.problems, 1);
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /^line 4: invalid turn line: \/turn: must have required property 'messages'/);
    assert.equal(facts?.resolved, true);
  });

  test('the real SWE-agent trajectory, imported: text actions, no diffs, no exit codes', async () => {
    const dir = out();
    const traj = join(packageRoot(), 'test', 'fixtures', 'swe-agent', 'swe-agent__test-repo-i1.traj');
    const { runs } = await importTrajectories(traj, 'swe-agent', dir);
    const { facts } = await readRunFacts(runs[0].path, () => ['tests/missing_colon.py']);
    assert.ok(facts);
    assert.equal(facts.importedFrom, 'swe-agent');
    assert.equal(facts.status, 'submitted');
    assert.equal(facts.resolved, null, 'a .traj carries no grade');
    assert.equal(facts.turns, 5);
    assert.equal(facts.tokens, 52861 + 326);
    assert.equal(facts.costUsd, 0.53839);
    assert.equal(facts.wallSeconds, null, 'the file records no times');
    assert.deepEqual(facts.analytics.commands, { find_file: 1, open: 1, edit: 1, python: 1, submit: 1 });
    assert.deepEqual(
      facts.analytics.firstEdit,
      { turn: 3, tokens: null },
      'SWE-agent’s edit command, no per-turn tokens',
    );
    assert.equal(facts.analytics.testRuns, 1, 'python tests/missing_colon.py');
    assert.equal(facts.analytics.firstPassingTest, null, 'its exit code is not recorded');
    assert.deepEqual(facts.analytics.localisation, { goldFiles: 1, precision: 1, recall: 1, viewedRecall: 1 });
  });
});

describe('what an action is', () => {
  test('the program of a command line, past cd, variables and wrappers', () => {
    assert.equal(commandProgram('cd /repo && python3 -m pytest -x tests'), 'python -m pytest');
    assert.equal(commandProgram('GOCACHE=/tmp/gocache go test -json ./...'), 'go test');
    assert.equal(commandProgram('timeout 60 npm run lint'), 'npm run lint');
    assert.equal(commandProgram('/usr/bin/git diff HEAD'), 'git diff');
    assert.equal(commandProgram("sed -i 's/a/b/' x.py"), 'sed');
  });

  test('test runs and edits are told apart', () => {
    const runs = (command: string) => classifyAction(bash(command, 0))!;
    assert.equal(runs('node --test --test-reporter=tap test/a.test.js').runsTests, true);
    assert.equal(runs('GOCACHE=/tmp/x go test -json ./...').runsTests, true);
    assert.equal(runs('python tests/missing_colon.py').runsTests, true);
    assert.equal(runs('python setup.py build').runsTests, false);
    assert.equal(runs("sed -i 's/a/b/' x.py").edits, true);
    assert.equal(runs('cat > x.py <<EOF\nprint(1)\nEOF').edits, true);
    assert.equal(runs('grep -rn foo . 2>&1 > /dev/null').edits, false);
    assert.equal(classifyAction(tool('str_replace_editor', { command: 'view', path: 'a' }))!.edits, false);
    assert.equal(classifyAction(tool('str_replace_editor', { command: 'create', path: 'a' }))!.edits, true);
  });

  test('success from is_error, then the exit code (given, or on the first line of this project’s bash output)', () => {
    assert.equal(classifyAction(bash('false', 1))!.succeeded, false);
    assert.equal(classifyAction(bash('true', 0))!.succeeded, true);
    assert.equal(classifyAction({ ...bash('x', 0), is_error: true })!.succeeded, false);
    assert.equal(classifyAction({ ...bash('x', 0), output: 'no code here', is_error: undefined })!.succeeded, null);
    assert.equal(classifyAction({ ...bash('x', 0), output: 'text', exit_code: 3 })!.succeeded, false);
    assert.equal(classifyAction({ tool_call_id: null, tool: '(none)', output: '', truncated: false }), null);
  });
});

describe('collecting many runs', () => {
  test('worker threads give the same facts, in the same order, as reading each log in turn', async () => {
    const dir = out();
    const template = readFileSync(
      join(packageRoot(), 'tasks', 'examples', 'pagekit__pagekit-14', 'reference', 'solved', 'trajectory.jsonl'),
      'utf8',
    );
    const originalId = (JSON.parse(template.split('\n')[0]) as { run: { run_id: string } }).run.run_id;
    for (let i = 0; i < 600; i++) {
      const runId = `copy-${String(i).padStart(4, '0')}`;
      mkdirSync(join(dir, runId));
      writeFileSync(join(dir, runId, 'trajectory.jsonl'), template.replaceAll(originalId, runId));
    }
    const catalog = new TaskCatalog();
    const { facts, problems } = await collectRunFacts([dir], catalog);
    assert.deepEqual(problems, []);
    assert.equal(facts.length, 600);
    const one = await readRunFacts(join(dir, 'copy-0123', 'trajectory.jsonl'));
    assert.deepEqual(facts[123], one.facts);
    assert.deepEqual(
      facts.map((run) => run.runId),
      facts.map((_, i) => `copy-${String(i).padStart(4, '0')}`),
    );
  });
});
