import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { OpenAIPolicy } from '../../../src/core/agent/policies/openaiPolicy';
import { reexecuteTrajectory } from '../../../src/core/agent/reexecute';
import { runRollout, type RolloutOptions } from '../../../src/core/agent/rollout';
import { createDefaultToolbox } from '../../../src/core/agent/tools/toolbox';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { dockerClient } from '../../../src/core/sandbox/engine';
import { imageForProfile } from '../../../src/core/sandbox/images';
import type { SandboxSpec } from '../../../src/core/sandbox/sandbox';
import { loadTasksStrict } from '../../../src/core/task/loadTasks';
import type { Task } from '../../../src/core/task/task';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { readRunIndex } from '../../../src/core/trajectory/runIndex';
import { containerCommands, waitForCommand } from '../../support/containerProcesses';
import { ScriptedOpenAIServer, step, type ScriptStep } from '../../support/scriptedOpenAIServer';

const TASKS = join(__dirname, '..', '..', '..', '..', 'tasks', 'examples');
const PLANTED_KEY = 'sk-proj-PLANTEDkey0123456789abcdefABCDEF';

describe('agent rollouts in real Docker against a local OpenAI wire-protocol test double', () => {
  let task: Task;
  let outDir: string;
  let solved: ReturnType<typeof rollout> | undefined;

  before(async () => {
    task = (await loadTasksStrict(join(TASKS, 'pagekit__pagekit-14')))[0];
    outDir = mkdtempSync(join(tmpdir(), 'rollout-runs-'));
  });

  async function rollout(steps: ScriptStep[], overrides: Partial<RolloutOptions> = {}) {
    const server = await ScriptedOpenAIServer.start(steps, { apiKey: PLANTED_KEY });
    try {
      const summary = await runRollout({
        task,
        policy: new OpenAIPolicy({ model: 'scripted', baseURL: server.baseURL, apiKey: PLANTED_KEY }),
        policySpec: `openai:scripted@${server.baseURL}`,
        toolbox: createDefaultToolbox(),
        protocol: { reward: 'binary' },
        outDir,
        evaluator: { createSandbox: (spec) => DockerSandbox.create(spec), imageForProfile },
        createSandbox: (spec) => DockerSandbox.create(spec),
        secrets: [PLANTED_KEY],
        ...overrides,
      });
      return { summary, server };
    } finally {
      await server.close();
    }
  }

  /**
   * The rollout that fixes the bug, run once for the tests that need it, by whichever of them runs first: each
   * of them also passes when run alone.
   */
  function solvedRollout(): ReturnType<typeof rollout> {
    solved ??= rollout([
      step.toolCall('view', { path: 'pagekit/paginator.py', start_line: 40, end_line: 52 }),
      step.toolCall('edit', {
        command: 'str_replace',
        path: 'pagekit/paginator.py',
        old_str: 'return self.count // self.per_page + 1',
        new_str: 'return -(-self.count // self.per_page)',
      }),
      step.toolCall('bash', {
        command: `python3 -c "from pagekit import Paginator; print(Paginator(list(range(20)), per_page=10).page_count)"; echo ${PLANTED_KEY}`,
      }),
      step.toolCall('submit', { summary: 'ceil division for page_count' }),
    ]);
    return solved;
  }

  test('a policy that fixes the bug through the edit tool is resolved with reward 1, every turn recorded', async () => {
    const { summary, server } = await solvedRollout();
    assert.equal(summary.exitStatus, 'submitted');
    assert.equal(summary.resolved, true);
    assert.equal(summary.reward, 1);
    assert.equal(summary.turns, 4);
    assert.equal(server.completionRequests.length, 4);

    const { trajectory, problems } = await readTrajectoryLog(summary.path);
    assert.deepEqual(problems, []);
    assert.ok(trajectory);
    assert.equal(trajectory.turns.length, 4);
    assert.equal(trajectory.turns[0].messages[0].role, 'system');
    assert.equal(trajectory.turns[0].diff, '', 'viewing changes nothing');
    assert.match(trajectory.turns[1].diff ?? '', /\+        return -\(-self\.count \/\/ self\.per_page\)/);
    assert.equal(trajectory.turns[1].signals?.diff_changed, 1);
    assert.match(trajectory.turns[2].observations[0].output, /^2$/m, 'the agent saw its fix work');
    assert.equal(trajectory.result?.exit_status, 'submitted');
    assert.equal(trajectory.result?.reward?.value, 1);
    assert.equal(trajectory.run.tools.length, 6);

    const raw = readFileSync(summary.path, 'utf8');
    assert.ok(!raw.includes(PLANTED_KEY), 'the API key never reaches the trajectory');
    assert.match(raw, /\[REDACTED\]/);
    const report = JSON.parse(readFileSync(join(outDir, summary.runId, 'report.json'), 'utf8'));
    assert.deepEqual(
      Object.keys(report),
      [summary.taskId],
      "the harness's report.json: the entry under the instance id",
    );
    assert.equal(report[summary.taskId].resolved, true);
    assert.deepEqual(report[summary.taskId].tests_status.FAIL_TO_PASS.failure, []);
    const index = await readRunIndex(outDir);
    assert.ok(index.some((entry) => entry.run_id === summary.runId && entry.status === 'submitted'));
  });

  test('rollout reexecute re-executes the recorded actions in a fresh container and reproduces the run exactly', async () => {
    const { trajectory } = await readTrajectoryLog((await solvedRollout()).summary.path);
    assert.ok(trajectory);
    const createSandbox = (spec: SandboxSpec) => DockerSandbox.create(spec);
    const same = await reexecuteTrajectory(trajectory, createSandbox, createDefaultToolbox());
    assert.equal(same.toolCalls, 4);
    assert.deepEqual(same.differences, []);
    // A record that does not match what the actions do is caught, turn by turn.
    trajectory.turns[2].observations[0].output = '3\n';
    trajectory.turns[1].diff = '';
    const tampered = await reexecuteTrajectory(trajectory, createSandbox, createDefaultToolbox());
    assert.deepEqual(
      tampered.differences.map((difference) => `${difference.turn}:${difference.kind}`),
      ['1:diff', '2:observation'],
    );
    await assert.rejects(
      reexecuteTrajectory(trajectory, createSandbox, createDefaultToolbox(), {
        signal: AbortSignal.abort(new Error('re-execution was cancelled')),
      }),
      /re-execution was cancelled/,
    );
  });

  test('a policy that writes malformed calls and submits nothing gets error observations and no reward', async () => {
    const { summary } = await rollout(
      [
        step.toolCall('bash', '{"command": "ls'),
        step.toolCall('teleport', { to: 'mars' }),
        step.text('I think the bug is in the paginator.'),
        step.toolCall('submit', {}),
      ],
      { protocol: { reward: 'gated' }, config: { maxConsecutiveFormatErrors: 5 } },
    );
    assert.equal(summary.exitStatus, 'submitted');
    assert.equal(summary.resolved, false);
    const { trajectory } = await readTrajectoryLog(summary.path);
    assert.ok(trajectory);
    assert.match(trajectory.turns[0].observations[0].output, /not valid JSON/);
    assert.match(trajectory.turns[1].observations[0].output, /Unknown tool "teleport"/);
    assert.equal(trajectory.turns[2].observations[0].tool, '(none)');
    assert.deepEqual(
      trajectory.turns.map((turn) => turn.signals?.format_errors),
      [1, 1, 1, 0],
    );
    assert.equal(trajectory.result?.patch, '');
    assert.equal(summary.reward, -0.5, 'gated: an empty patch earns its outcome level and no turn rewards');
  });

  test('three replies in a row without a usable tool call end the run as an error, still graded', async () => {
    const { summary } = await rollout([step.text('hmm'), step.text('let me think'), step.text('done?')]);
    assert.equal(summary.exitStatus, 'error');
    assert.match(summary.reason ?? '', /3 replies in a row/);
    assert.equal(summary.turns, 3);
    assert.equal(summary.resolved, false);
  });

  test('an agent that removes .git fails as the agent: its turn is recorded, the run unresolved at reward 0, never infra_error', async () => {
    const { summary, server } = await rollout([
      step.toolCall('bash', { command: 'rm -rf .git' }),
      step.toolCall('submit', { summary: 'never asked for' }),
    ]);
    assert.equal(server.completionRequests.length, 1);
    assert.equal(summary.exitStatus, 'error');
    assert.match(
      summary.reason ?? '',
      /^the agent broke the repository, so no patch can be taken: git cannot diff the work tree's repository/,
    );
    assert.equal(summary.resolved, false);
    assert.equal(summary.reward, 0);
    const { trajectory } = await readTrajectoryLog(summary.path);
    assert.equal(trajectory?.turns.length, 1);
    assert.match(String(trajectory?.turns[0].extra?.repository_broken), /\.git/);
  });

  test('a conversation the server still calls too long after compaction ends as token_limit and is graded, not an infrastructure error', async () => {
    const tooLong = () =>
      step.httpError(400, {
        message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9100 tokens.",
      });
    // The first refusal compacts the turn and asks again; three more and the run stops there.
    const { summary, server } = await rollout([
      step.toolCall('view', { path: 'pagekit/paginator.py' }),
      tooLong(),
      tooLong(),
      tooLong(),
      tooLong(),
    ]);
    assert.equal(server.completionRequests.length, 5);
    assert.equal(summary.exitStatus, 'token_limit');
    assert.equal(summary.resolved, false);
    assert.equal(summary.reward, 0);
  });

  test('a model server that keeps failing is an infrastructure error, never a reward of 0', async () => {
    const failures = Array.from({ length: 8 }, () => step.httpError(500));
    const server = await ScriptedOpenAIServer.start(failures, { apiKey: PLANTED_KEY });
    try {
      const summary = await runRollout({
        task,
        policy: new OpenAIPolicy({
          model: 'scripted',
          baseURL: server.baseURL,
          apiKey: PLANTED_KEY,
          retry: { maxRetries: 1, baseDelayMs: 10 },
        }),
        policySpec: 'openai:scripted',
        toolbox: createDefaultToolbox(),
        protocol: { reward: 'binary' },
        outDir,
        evaluator: { createSandbox: (spec) => DockerSandbox.create(spec), imageForProfile },
        createSandbox: (spec) => DockerSandbox.create(spec),
      });
      assert.equal(summary.exitStatus, 'infra_error');
      assert.equal(summary.reward, null);
      assert.equal(summary.resolved, null);
    } finally {
      await server.close();
    }
  });

  test(
    'a cancel while the bash tool runs stops the command in the container at once: the run ends cancelled, unscored, its finished turn kept, its container removed',
    { timeout: 300_000 },
    async () => {
      const controller = new AbortController();
      let agentSandbox: DockerSandbox | undefined;
      let commandsAtRemoval: string[] | undefined;
      const running = rollout(
        [
          step.toolCall('view', { path: 'pagekit/paginator.py', start_line: 40, end_line: 52 }),
          step.toolCall('bash', { command: 'sleep 1234 & setsid sleep 1234 & sleep 1234; echo finished' }),
          step.toolCall('submit', { summary: 'never asked for' }),
        ],
        {
          outDir: mkdtempSync(join(tmpdir(), 'rollout-cancel-tool-')),
          signal: controller.signal,
          createSandbox: async (spec) => {
            const sandbox = await DockerSandbox.create(spec);
            agentSandbox = sandbox;
            const destroy = sandbox.destroy.bind(sandbox);
            sandbox.destroy = async () => {
              commandsAtRemoval ??= await containerCommands(sandbox.containerId);
              await destroy();
            };
            return sandbox;
          },
        },
      );
      const containerId = await waitForCommand(() => agentSandbox?.containerId, 'sleep 1234', 3, 120_000);
      controller.abort();
      const { summary, server } = await running;
      assert.equal(summary.exitStatus, 'cancelled');
      assert.equal(summary.reward, null, 'a cancelled run is not scored');
      assert.equal(summary.resolved, null);
      assert.equal(server.completionRequests.length, 2, 'the model is not asked again after the cancel');
      assert.deepEqual(
        commandsAtRemoval?.filter((command) => command === 'sleep 1234'),
        [],
        'the command and every process it started were gone before the container was removed',
      );
      await assert.rejects(dockerClient().getContainer(containerId).inspect(), { statusCode: 404 });
      const { trajectory, problems } = await readTrajectoryLog(summary.path);
      assert.deepEqual(problems, []);
      assert.deepEqual(
        trajectory?.turns.map((turn) => turn.observations.map((observation) => observation.tool)),
        [['view']],
        'the finished turn is kept; the interrupted one is not recorded half done',
      );
      assert.match(trajectory?.turns[0].observations[0].output ?? '', /per_page/);
      assert.equal(trajectory?.result?.exit_status, 'cancelled');
      assert.equal(trajectory?.result?.reward, null);
    },
  );
});
