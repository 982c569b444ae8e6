import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RolloutQueue } from '../../../src/core/queue/rolloutQueue';
import { LOCK_MS } from '../../../src/core/queue/rolloutWorker';
import { queueStatus } from '../../../src/core/queue/status';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { ScriptedOpenAIServer, step } from '../../support/scriptedOpenAIServer';
import { queueTestBed, ROOT, waitFor } from './queueHarness';

const bed = queueTestBed();

/**
 * Row cab_lenient_18 of the CodeAssistBench fixture (its real issue, thread and conditions) as a task file; the real
 * repository cannot be cloned here, so `--repos` holds a small local one at the row's commit, and the row's
 * Dockerfile (FROM python:3.12-slim, from a registry) gives way to the python profile image.
 */
function cabTaskFile(): { taskFile: string; reposDir: string } {
  const reposDir = mkdtempSync(join(tmpdir(), 'cab-repos-'));
  const repo = join(reposDir, 'huggingface__smolagents');
  mkdirSync(join(repo, 'smolagents'), { recursive: true });
  writeFileSync(
    join(repo, 'smolagents', 'tools.py'),
    'class ToolCollection:\n    """The MCP server runs only while from_mcp\'s context is open."""\n',
  );
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', '.');
  git('-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-q', '-m', 'smolagents excerpt');
  const fixture = join(ROOT, 'test', 'fixtures', 'cab', 'cab_verified_lenient.jsonl');
  const line = readFileSync(fixture, 'utf8')
    .split('\n')
    .find((row) => row.includes('"task_id": "cab_lenient_18"'));
  assert.ok(line, 'the fixture holds row cab_lenient_18');
  const taskFile = join(mkdtempSync(join(tmpdir(), 'cab-tasks-')), 'cab.jsonl');
  writeFileSync(
    taskFile,
    `${JSON.stringify({ ...(JSON.parse(line) as object), commit_id: git('rev-parse', 'HEAD'), dockerfile: null })}\n`,
  );
  return { taskFile, reposDir };
}

test('a CodeAssistBench task goes through the queue with its simulated user and judge; a worker killed mid-conversation has it resumed under the same run id, one trajectory, scored by the judge (real Redis, real Docker, real processes, local OpenAI wire-protocol test doubles)', async () => {
  const { taskFile, reposDir } = cabTaskFile();
  // The killed worker takes the first answer and dies waiting for the second, which the server never gives; its
  // successor resumes after the first.
  const agent = await ScriptedOpenAIServer.start([
    step.toolCall('bash', { command: 'grep -n MCP smolagents/tools.py' }),
    step.hold(),
    step.toolCall('bash', { command: 'grep -n context smolagents/tools.py' }),
    step.toolCall('submit', {
      summary: 'Call agent.run inside the `with ToolCollection.from_mcp(...)` block: the server stops when it exits.',
    }),
  ]);
  const user = await ScriptedOpenAIServer.start([
    step.text('That fixed it, thanks!\n\nSATISFACTION_STATUS: FULLY_SATISFIED\nREASON: all conditions met'),
  ]);
  const judge = await ScriptedOpenAIServer.start([
    step.text('CONDITION 1: TRUE\nCONDITION 2: TRUE\n\nVERDICT: CORRECT'),
  ]);
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-cab-queued-'));
  const rollouts = new RolloutQueue(bed.redis.url);
  try {
    const first = bed.startWorker();
    const [runId] = (
      await bed.enqueue([
        '--tasks',
        taskFile,
        '--repos',
        reposDir,
        '--policy',
        `openai:scripted@${agent.baseURL}`,
        '--user-policy',
        `openai:scripted@${user.baseURL}`,
        '--judge-policy',
        `openai:scripted@${judge.baseURL}`,
        '--out',
        outDir,
      ])
    ).runIds;
    const logPath = join(outDir, runId, 'trajectory.jsonl');
    await waitFor(
      'the first turn',
      async () =>
        (await readTrajectoryLog(logPath).catch(() => undefined))?.trajectory?.turns.length ? true : undefined,
      60_000,
      first.output,
    );
    // Killed while the server holds its second request.
    await waitFor(
      'the second model call',
      async () => (agent.completionRequests.length >= 2 ? true : undefined),
      60_000,
      first.output,
    );
    first.child.kill('SIGKILL');

    const second = bed.startWorker();
    await waitFor(
      'the conversation to end',
      async () => ((await queueStatus(rollouts)).completed === 1 ? true : undefined),
      LOCK_MS + 60_000,
      second.output,
    );
    assert.match(second.output(), new RegExp(`resume ${runId.replace(/\./g, '\\.')}`), 'resumed where it stopped');
    const { trajectory, problems } = await readTrajectoryLog(logPath);
    assert.deepEqual(problems, []);
    assert.ok(trajectory);
    assert.equal((trajectory.run.extra?.protocol as { name: string }).name, 'cab');
    assert.equal(trajectory.events.filter((event) => event.kind === 'resumed').length, 1);
    assert.deepEqual(
      trajectory.turns.map(
        (turn) => turn.observations[0]?.tool === 'bash' && JSON.parse(turn.observations[0].arguments ?? '{}').command,
      ),
      ['grep -n MCP smolagents/tools.py', 'grep -n context smolagents/tools.py', false],
      "the killed worker's turn, then the second worker's: the answer lost in flight is asked again",
    );
    assert.deepEqual(
      trajectory.events.filter((event) => event.kind === 'user_feedback').map((event) => event.data?.status),
      ['FULLY_SATISFIED'],
    );
    assert.equal(trajectory.result?.reward?.value, 1, "the judge's CORRECT");
    const report = JSON.parse(readFileSync(join(outDir, runId, 'report.json'), 'utf8')) as { verdict: string };
    assert.equal(report.verdict, 'CORRECT');
    assert.equal((await rollouts.queue.getJob(runId))?.returnvalue?.reward, 1);
  } finally {
    await rollouts.close();
    await Promise.all([agent.close(), user.close(), judge.close()]);
  }
});
