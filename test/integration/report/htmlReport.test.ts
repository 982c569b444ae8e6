import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { packageRoot } from '../../../src/core/paths';
import type { Report } from '../../../src/core/report/model';
import { importTrajectories, writeTrajectory } from '../../../src/core/trajectory/import/importer';
import type { Trajectory } from '../../../src/core/trajectory/types';
import { openReport } from './chromium';

const ROOT = packageRoot();
const CLI = join(ROOT, 'dist', 'cli.js');
const CHARTS = ['resolved', 'pass-at-k', 'cost', 'turns', 'tools', 'rounds'];

/** A CodeAssistBench-style conversation: the simulated user is satisfied in round 2. */
function cabConversation(): Trajectory {
  const feedback = (round: number, status: string) => ({
    kind: 'user_feedback',
    at: '2026-11-24T10:01:00.000Z',
    after_turn: round,
    data: { round, status },
  });
  const answer = (index: number) => ({
    index,
    messages: [{ role: 'assistant' as const, content: `Answer ${index}` }],
    observations: [],
    tokens: { input: 900, output: 120 },
    cost_usd: 0.002,
  });
  return {
    run: {
      run_id: 'cab-conversation-1',
      task_id: 'cab_lenient_2',
      attempt: 0,
      policy: 'openai:assistant',
      model: { name: 'assistant', parameters: {} },
      tools: [],
      tool_versions: {},
      started_at: '2026-11-24T10:00:00.000Z',
      extra: { protocol: 'cab' },
    },
    turns: [answer(0), answer(1)],
    events: [feedback(1, 'NOT_SATISFIED'), feedback(2, 'FULLY_SATISFIED')],
    result: {
      exit_status: 'submitted',
      ended_at: '2026-11-24T10:03:00.000Z',
      patch: '',
      reward: { value: 1, resolved: true },
    },
  };
}

describe('the HTML report in a browser (headless Debian chromium)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'rollout-report-html-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('opens offline with no console errors and draws every chart; attempts link to their playback', async () => {
    const runs = join(scratch, 'runs');
    const traj = join(ROOT, 'test', 'fixtures', 'swe-agent', 'swe-agent__test-repo-i1.traj');
    await importTrajectories(traj, 'swe-agent', runs);
    await writeTrajectory(runs, cabConversation());
    const html = join(scratch, 'report.html');
    const examples = join(ROOT, 'tasks', 'examples');
    const cab = join(ROOT, 'test', 'fixtures', 'cab', 'cab_verified_lenient.jsonl');
    const cli = spawnSync(
      process.execPath,
      [CLI, 'report', examples, runs, '--tasks', examples, '--tasks', cab, '--json', '--html', html],
      { encoding: 'utf8' },
    );
    assert.equal(cli.status, 0, cli.stderr);
    const report = JSON.parse(cli.stdout) as Report;
    assert.deepEqual(report.groups.map((group) => group.key).sort(), [
      'import:swe-agent',
      'openai:assistant',
      'reference:solved',
      'reference:unsolved',
    ]);
    assert.deepEqual(report.facets.datasets, ['cab_verified_lenient.jsonl', 'examples', 'imported (swe-agent)']);
    assert.ok(
      report.categories.some((row) => row.dimension === 'category' && row.value === 'Does not need build environment'),
      'the CodeAssistBench category of the conversation',
    );

    const shown = await openReport(html, join(scratch, 'report.png'));
    assert.deepEqual(shown.errors, []);
    assert.deepEqual(shown.requests, [], 'the report fetches nothing');
    assert.deepEqual(shown.drawnCharts, CHARTS);
    assert.equal(shown.leaderboardRows, report.groups.length);
    const attempts = report.tasks.flatMap((row) => Object.values(row.cells)).flatMap((cell) => cell.runs);
    assert.equal(
      shown.matrixCells,
      report.tasks.reduce((sum, row) => sum + Object.keys(row.cells).length, 0),
    );
    assert.equal(shown.runLinks.length, attempts.length);
    for (const link of shown.runLinks) {
      const prefix = 'vscode://rollout-studio.rollout-studio/playback?path=';
      assert.ok(link.startsWith(prefix), link);
      assert.ok(existsSync(decodeURIComponent(link.slice(prefix.length))), `${link} names a run's log`);
    }
    assert.ok(existsSync(join(scratch, 'report.png')));
  });

  test('nothing from a run is read as HTML: a task id with markup stays text', async () => {
    const runs = join(scratch, 'hostile');
    const conversation = cabConversation();
    conversation.run.run_id = 'hostile-1';
    conversation.run.task_id = '</script><img src=x onerror=alert(1)>';
    await writeTrajectory(runs, conversation);
    const html = join(scratch, 'hostile.html');
    const cli = spawnSync(process.execPath, [CLI, 'report', runs, '--html', html], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.doesNotMatch(readFileSync(html, 'utf8'), /<\/script><img/);
    const shown = await openReport(html);
    assert.deepEqual(shown.errors, []);
    assert.deepEqual(shown.requests, [], 'no image was requested: the markup was never parsed');
  });
});
