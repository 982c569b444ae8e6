import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { policyResolver } from '../../../src/core/agent/batch';
import { runRollout } from '../../../src/core/agent/rollout';
import { createDefaultToolbox } from '../../../src/core/agent/tools/toolbox';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { dockerClient, LABELS } from '../../../src/core/sandbox/engine';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { loadTasksStrict } from '../../../src/core/task/loadTasks';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { LeaseLostError } from '../../../src/core/trajectory/recorder';
import { waitForCommand } from '../../support/containerProcesses';
import { ScriptedOpenAIServer, step } from '../../support/scriptedOpenAIServer';

const ROOT = join(__dirname, '..', '..', '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const TASKS = join(ROOT, 'tasks', 'examples');
const FIX = {
  command: 'str_replace',
  path: 'pagekit/paginator.py',
  old_str: 'return self.count // self.per_page + 1',
  new_str: 'return -(-self.count // self.per_page)',
};

async function containersOfRun(runId: string): Promise<number> {
  const containers = await dockerClient().listContainers({
    all: true,
    filters: { label: [`${LABELS.runId}=${runId}`] },
  });
  return containers.length;
}

test('a run killed with SIGKILL mid-rollout stays readable, leaves no orphan after the next start, and --resume finishes it (real Docker, CLI processes, local OpenAI wire-protocol test double)', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-kill-'));
  const first = await ScriptedOpenAIServer.start([
    step.toolCall('view', { path: 'pagekit/paginator.py', start_line: 44, end_line: 49 }),
    step.toolCall('edit', FIX),
    // The third answer never comes: the process is killed while it waits.
    step.hold(),
  ]);
  const args = ['run', '--tasks', TASKS, '--ids', 'pagekit__pagekit-14', '--out', outDir];
  const child = spawn(process.execPath, [CLI, ...args, '--policy', `openai:scripted@${first.baseURL}`], {
    stdio: 'ignore',
  });
  let runId = '';
  let turns = 0;
  for (let waited = 0; turns < 2 && waited < 60_000; waited += 200) {
    await sleep(200);
    runId = readdirSync(outDir).find((name) => name.startsWith('pagekit__pagekit-14.')) ?? '';
    if (runId) turns = (await readTrajectoryLog(join(outDir, runId, 'trajectory.jsonl'))).trajectory?.turns.length ?? 0;
  }
  assert.equal(turns, 2, 'two turns were recorded before the kill');
  assert.equal(await containersOfRun(runId), 1, 'the agent sandbox is running');
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  await first.close();

  const killed = await readTrajectoryLog(join(outDir, runId, 'trajectory.jsonl'));
  assert.equal(killed.trajectory?.turns.length, 2);
  assert.equal(killed.trajectory?.result, undefined, 'the run is unfinished, not falsely closed');
  assert.match(killed.trajectory?.turns[1].diff ?? '', /-\(-self\.count/);

  const second = await ScriptedOpenAIServer.start([step.toolCall('submit', { summary: 'ceil division' })]);
  try {
    // Asynchronously: the model server answering the resumed run lives in this process.
    const resumed = spawn(
      process.execPath,
      [CLI, ...args, '--resume', runId, '--policy', `openai:scripted@${second.baseURL}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    resumed.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    resumed.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const status = await new Promise((resolve) => resumed.once('exit', resolve));
    assert.equal(status, 0, output);
    assert.equal(
      await containersOfRun(runId),
      0,
      'the killed process left no container behind once the next run started',
    );
    const { trajectory, problems } = await readTrajectoryLog(join(outDir, runId, 'trajectory.jsonl'));
    assert.deepEqual(problems, []);
    assert.equal(trajectory?.turns.length, 3);
    assert.ok(trajectory?.events.some((event) => event.kind === 'resumed'));
    assert.equal(trajectory?.result?.exit_status, 'submitted');
    assert.equal(
      trajectory?.result?.reward?.value,
      1,
      'the work tree restored from the last diff still resolves the task',
    );
    const request = second.completionRequests[0].body as { messages: { role: string }[] };
    assert.equal(request.messages.length, 2 + 2 * 2, 'the resumed model sees the whole recorded conversation');
  } finally {
    await second.close();
  }
});

test("`rollout run --resume` of a run recorded with recorded:DIR or recorded:FILE finishes it with exactly the recording's turns, none repeated (real Docker, CLI process)", async () => {
  const reference = join(TASKS, 'pagekit__pagekit-14', 'reference', 'solved');
  const recorded = (await readTrajectoryLog(join(reference, 'trajectory.jsonl'))).trajectory;
  assert.ok(recorded);
  assert.equal(recorded.turns.length, 5);
  const task = (await loadTasksStrict(join(TASKS, 'pagekit__pagekit-14')))[0];
  for (const spec of [`recorded:${reference}`, `recorded:${join(reference, 'trajectory.jsonl')}`]) {
    const outDir = mkdtempSync(join(tmpdir(), 'rollout-replay-resume-'));
    const runId = `pagekit-replay-${spec.endsWith('.jsonl') ? 'file' : 'dir'}`;
    let writes = 0;
    // The first process stops after two turns, as a killed one would: its log ends at a whole line, unfinished.
    await assert.rejects(
      runRollout({
        task,
        runId,
        policy: await (await policyResolver(spec))(task, 0),
        policySpec: spec,
        toolbox: createDefaultToolbox(),
        protocol: { reward: 'binary' },
        outDir,
        evaluator: { createSandbox: (sandbox) => DockerSandbox.create(sandbox), imageForProfile },
        createSandbox: (sandbox) => DockerSandbox.create(sandbox),
        recordHooks: {
          beforeWrite: async () => {
            if (++writes === 4) throw new LeaseLostError('stopped after two turns');
          },
        },
      }),
      LeaseLostError,
    );
    const resumed = spawnSync(
      process.execPath,
      [CLI, 'run', '--tasks', TASKS, '--ids', 'pagekit__pagekit-14', '--out', outDir, '--resume', runId],
      { encoding: 'utf8' },
    );
    assert.equal(resumed.status, 0, `${spec}: ${resumed.stdout}\n${resumed.stderr}`);
    const { trajectory, problems } = await readTrajectoryLog(join(outDir, runId, 'trajectory.jsonl'));
    assert.deepEqual(problems, []);
    assert.deepEqual(
      trajectory?.turns.map((turn) => turn.messages.filter((message) => message.role === 'assistant')),
      recorded.turns.map((turn) => turn.messages.filter((message) => message.role === 'assistant')),
      `${spec}: the recording's five answers, once each`,
    );
    assert.equal(trajectory?.result?.reward?.value, 1);
  }
});

test(
  '`rollout run` given SIGINT while the bash tool runs stops the command in the container at once and exits 130: the run ends cancelled, unscored, its finished turn kept, its container removed (real Docker, CLI process, local OpenAI wire-protocol test double)',
  { timeout: 300_000 },
  async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'rollout-sigint-'));
    const server = await ScriptedOpenAIServer.start([
      step.toolCall('view', { path: 'pagekit/paginator.py', start_line: 44, end_line: 49 }),
      step.toolCall('bash', { command: 'sleep 1234 & setsid sleep 1234 & sleep 1234; echo finished' }),
      step.toolCall('submit', { summary: 'never asked for' }),
    ]);
    try {
      const child = spawn(
        process.execPath,
        [
          CLI,
          'run',
          '--tasks',
          TASKS,
          '--ids',
          'pagekit__pagekit-14',
          '--out',
          outDir,
          '--policy',
          `openai:scripted@${server.baseURL}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const agentContainer = async () => {
        const containers = await dockerClient().listContainers({
          filters: { label: [`${LABELS.ownerPid}=${child.pid}`] },
        });
        return containers[0]?.Id;
      };
      const containerId = await waitForCommand(agentContainer, 'sleep 1234', 3, 120_000);
      child.kill('SIGINT');
      assert.equal(await exited, 130, output);
      assert.match(output, /stopping: each running rollout ends as cancelled now/);
      assert.match(output, /pagekit__pagekit-14 \(attempt 0\): cancelled/);
      assert.equal(server.completionRequests.length, 2, 'the model is not asked again after SIGINT');
      await assert.rejects(dockerClient().getContainer(containerId).inspect(), { statusCode: 404 });
      const runId = readdirSync(outDir).find((name) => name.startsWith('pagekit__pagekit-14.')) ?? '';
      assert.equal(await containersOfRun(runId), 0);
      const { trajectory, problems } = await readTrajectoryLog(join(outDir, runId, 'trajectory.jsonl'));
      assert.deepEqual(problems, []);
      assert.deepEqual(
        trajectory?.turns.map((turn) => turn.observations.map((observation) => observation.tool)),
        [['view']],
      );
      assert.equal(trajectory?.result?.exit_status, 'cancelled');
      assert.equal(trajectory?.result?.reward, null);
    } finally {
      await server.close();
    }
  },
);
