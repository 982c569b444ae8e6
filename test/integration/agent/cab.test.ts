import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runBatch } from '../../../src/core/agent/batch';
import type { AgentConfig } from '../../../src/core/agent/config';
import { OpenAIPolicy } from '../../../src/core/agent/policies/openaiPolicy';
import { dockerfileImageTag } from '../../../src/core/agent/protocols/cab/dockerfileImage';
import type { CabSpec } from '../../../src/core/agent/protocols/protocol';
import { runRollout } from '../../../src/core/agent/rollout';
import { createDefaultToolbox } from '../../../src/core/agent/tools/toolbox';
import { readRunFacts } from '../../../src/core/report/runFacts';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { dockerClient } from '../../../src/core/sandbox/engine';
import { imageForProfile } from '../../../src/core/sandbox/images';
import type { Task } from '../../../src/core/task/task';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { cabTaskOn, localSmolagentsRepo, smolagentsRow } from '../../support/cabTasks';
import { ScriptedOpenAIServer, step, type ScriptStep } from '../../support/scriptedOpenAIServer';

const KEY = 'sk-test-cab0123456789abcdefABCDEF';

type Body = { messages: { role: string; content: string }[]; temperature?: number };
const bodyOf = (server: ScriptedOpenAIServer, index: number) => server.completionRequests[index].body as Body;

describe('CodeAssistBench conversations in real Docker, with the agent, simulated user and judge on local OpenAI wire-protocol test doubles', () => {
  let row: Record<string, unknown>;
  let repo: { location: string; commit: string };
  let outDir: string;
  const builtImages: string[] = [];

  before(() => {
    row = smolagentsRow();
    repo = localSmolagentsRepo();
    outDir = mkdtempSync(join(tmpdir(), 'cab-runs-'));
  });

  after(async () => {
    for (const image of builtImages)
      await dockerClient()
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
  });

  const cabTask = (dockerfile: string | undefined): Task => cabTaskOn(row, repo, dockerfile);

  async function converse(
    task: Task,
    scripts: { agent: ScriptStep[]; user: ScriptStep[]; judge: ScriptStep[] },
    cab: Partial<CabSpec> = {},
    config: Partial<AgentConfig> = {},
  ) {
    const [agent, user, judge] = await Promise.all(
      [scripts.agent, scripts.user, scripts.judge].map((steps) => ScriptedOpenAIServer.start(steps, { apiKey: KEY })),
    );
    const policy = (server: ScriptedOpenAIServer, temperature?: number) =>
      new OpenAIPolicy({
        model: 'scripted',
        baseURL: server.baseURL,
        apiKey: KEY,
        settings: { temperature },
        retry: { maxRetries: 1, baseDelayMs: 10 },
      });
    const servers = new Map([
      [`openai:scripted@${user.baseURL}`, user],
      [`openai:scripted@${judge.baseURL}`, judge],
    ]);
    try {
      const summary = await runRollout({
        task,
        policy: policy(agent),
        policySpec: `openai:scripted@${agent.baseURL}`,
        toolbox: createDefaultToolbox(),
        protocol: {
          reward: 'binary',
          cab: {
            userPolicySpec: `openai:scripted@${user.baseURL}`,
            judgePolicySpec: `openai:scripted@${judge.baseURL}`,
            userRounds: 10,
            ...cab,
          },
        },
        createPolicy: async (spec) => policy(servers.get(spec)!, 0),
        config,
        outDir,
        evaluator: { createSandbox: (spec) => DockerSandbox.create(spec), imageForProfile },
        createSandbox: (spec) => DockerSandbox.create(spec),
        secrets: [KEY],
      });
      const { trajectory, problems } = await readTrajectoryLog(summary.path);
      assert.deepEqual(problems, []);
      assert.ok(trajectory);
      return { summary, trajectory, agent, user, judge };
    } finally {
      await Promise.all([agent.close(), user.close(), judge.close()]);
    }
  }

  test("the agent answers in a container built from the task Dockerfile (its clone's later commits hidden), the user (who never sees the thread) follows up and is satisfied, the judge reads the reference thread and its CORRECT is reward 1", async () => {
    // As the released Dockerfiles do: a whole clone checked out at the commit, the fix reachable after it.
    const commit = (message: string) =>
      `git -c user.name=m -c user.email=m@example.com commit -q --allow-empty -m '${message}'`;
    const clone = [
      'mkdir -p /app/project && cd /app/project && git init -q',
      commit('the issue commit'),
      commit('the fix'),
      'git tag v-fixed && git remote add origin https://example.invalid/project.git',
      'git update-ref refs/remotes/origin/main HEAD && git checkout -q HEAD~1',
      // Cloned as another user than the one hiding its history: git must be told to trust it.
      'chown -R 4242:4242 /app/project',
    ].join(' && ');
    const dockerfile = `FROM ${imageForProfile('python')}\nUSER root\nRUN echo "built from the task Dockerfile" > /etc/cab-image\nRUN ${clone}\n`;
    const task = cabTask(dockerfile);
    builtImages.push(dockerfileImageTag(task, dockerfile));
    const { summary, trajectory, agent, user, judge } = await converse(task, {
      agent: [
        step.toolCall('bash', {
          command:
            'cat /etc/cab-image; git -c safe.directory=\'*\' -C /app/project log --all --reflog --format=%s; grep -n "context" smolagents/tools.py',
        }),
        step.text(
          'The MCP server only lives inside the `with ToolCollection.from_mcp(...)` block. Call `agent.run(...)` inside it.',
        ),
        step.toolCall('submit', {
          summary:
            'Indent `response = agent.run(...)` into the `with` block: the server and its event loop stop when the block exits, which closes the loop your tool call needs.',
        }),
      ],
      user: [
        step.text(
          'Why would the event loop be closed though?\n\n**SATISFACTION_STATUS:** `PARTIALLY_SATISFIED`\nREASON: the lifetime of the connection is not explained',
          { usage: { prompt_tokens: 300, completion_tokens: 20 } },
        ),
        step.text(
          'Ah, that makes sense, thank you!\n\nSATISFACTION_STATUS: **FULLY_SATISFIED**\nREASON: all conditions met',
          {
            usage: { prompt_tokens: 400, completion_tokens: 15 },
          },
        ),
      ],
      judge: [
        step.text('ALIGNMENT SCORE: 3/3 CONDITIONS MET (100%)\n\nVERDICT: **CORRECT**\n\nKEY ISSUES: none', {
          usage: { prompt_tokens: 900, completion_tokens: 30 },
        }),
      ],
    });
    assert.equal(summary.exitStatus, 'submitted', summary.reason);
    assert.equal(summary.reward, 1);
    assert.equal(summary.resolved, true);
    assert.equal(summary.protocol, 'cab');
    assert.equal(trajectory.run.image?.name, dockerfileImageTag(task, dockerfile));
    assert.match(trajectory.turns[0].observations[0].output, /built from the task Dockerfile/);
    assert.match(trajectory.turns[0].observations[0].output, /^the issue commit$/m);
    assert.doesNotMatch(trajectory.turns[0].observations[0].output, /the fix/, "the clone's later commit is gone");
    assert.equal(trajectory.run.extra?.hidden_image_history, true);
    assert.deepEqual(
      trajectory.turns.map((turn) => turn.messages.map((message) => message.role)),
      [['system', 'user', 'assistant', 'tool'], ['assistant'], ['user', 'assistant', 'tool']],
    );
    assert.equal(trajectory.turns[2].messages[0].content, 'Why would the event loop be closed though?');
    assert.deepEqual(
      trajectory.turns[2].messages[0].extra,
      { speaker: 'simulated_user', round: 1 },
      'marked in the record',
    );
    assert.equal(agent.completionRequests.length, 3);
    assert.ok(
      !JSON.stringify(bodyOf(agent, 2).messages).includes('simulated_user'),
      'the mark is never sent to the agent',
    );
    assert.doesNotMatch(JSON.stringify(bodyOf(agent, 2).messages), /SATISFACTION_STATUS/, 'nor the status');

    const feedback = trajectory.events.filter((event) => event.kind === 'user_feedback');
    assert.deepEqual(
      feedback.map((event) => [event.after_turn, event.data?.status]),
      [
        [2, 'PARTIALLY_SATISFIED'],
        [3, 'FULLY_SATISFIED'],
      ],
    );
    // The user knows the question and what would satisfy it; never how the real thread went.
    for (const index of [0, 1]) {
      const sent = bodyOf(user, index);
      assert.equal(sent.temperature, 0, 'the user answers at temperature 0');
      const text = JSON.stringify(sent.messages);
      assert.ok(text.includes('Event loop is closed'), 'the title');
      assert.ok(text.includes('mcp-server-time'), 'the body');
      for (const condition of task.cab!.satisfactionConditions)
        assert.ok(text.includes(JSON.stringify(condition).slice(1, -1)));
      for (const comment of task.cab!.comments)
        assert.ok(
          !text.includes(JSON.stringify(comment.body.trim()).slice(1, -1)),
          `not the comment by ${comment.user}`,
        );
      assert.match(text, /check succeeded/, 'the Docker validation');
    }
    assert.match(
      JSON.stringify(bodyOf(user, 1).messages),
      /Why would the event loop be closed/,
      'its own earlier reply',
    );
    const validations = trajectory.events.filter((event) => event.kind === 'docker_validation');
    assert.deepEqual(
      validations.map((event) => event.data?.success),
      [true],
      'validated once: the answers changed nothing in the repository',
    );

    // The judge reads the reference thread and the final answer, at temperature 0.
    const judged = bodyOf(judge, 0);
    assert.equal(judged.temperature, 0);
    const judgedText = JSON.stringify(judged.messages);
    for (const comment of task.cab!.comments)
      assert.ok(judgedText.includes(JSON.stringify(comment.body.trim()).slice(1, -1)));
    assert.match(judgedText, /Indent `response = agent.run/, 'the final answer');
    assert.doesNotMatch(judgedText, /Why would the event loop be closed/, 'not the conversation');
    assert.match(judgedText, /Docker validation: succeeded/);
    const report = trajectory.result?.reward?.report as Record<string, unknown>;
    assert.equal(report.verdict, 'CORRECT');
    assert.equal(report.user_rounds, 2);
    assert.deepEqual(report.alignment, { satisfied: 3, total: 3 });
    assert.deepEqual(report.docker_validation, { success: true });
    assert.deepEqual(JSON.parse(readFileSync(join(outDir, summary.runId, 'report.json'), 'utf8')).verdict, 'CORRECT');

    // The user's and the judge's tokens are the run's too.
    const usage = trajectory.result?.extra?.usage as Record<string, { tokens_in: number; calls: number }>;
    assert.deepEqual([usage.user.tokens_in, usage.user.calls, usage.judge.tokens_in], [700, 2, 900]);
    const agentTokens = trajectory.turns.reduce(
      (sum, turn) => sum + (turn.tokens?.input ?? 0) + (turn.tokens?.output ?? 0),
      0,
    );
    assert.equal(summary.tokens, agentTokens + 700 + 35 + 930);
    assert.ok(!readFileSync(summary.path, 'utf8').includes(KEY), 'no key in the trajectory');

    const { facts } = await readRunFacts(summary.path);
    assert.equal(facts?.protocol, 'cab', 'rollout report reads the protocol');
    assert.equal(facts?.resolved, true);
    assert.deepEqual(facts?.analytics.rounds, [
      { round: 1, succeeded: false },
      { round: 2, succeeded: true },
    ]);
  });

  test('a reply without a readable SATISFACTION_STATUS counts as NOT_SATISFIED with an event, rounds run out, and PARTIALLY CORRECT is reward 0.5', async () => {
    const { summary, trajectory } = await converse(
      cabTask(undefined),
      {
        agent: [step.text('Try upgrading mcpadapt.'), step.text('Run agent.run inside the with block.')],
        user: [
          step.text('I upgraded, still broken.'),
          step.text('Maybe?\n\nSATISFACTION_STATUS: SORT_OF\nREASON: unsure'),
        ],
        judge: [step.text('Final Verdict: `PARTIALLY CORRECT`')],
      },
      { userRounds: 2 },
    );
    assert.equal(summary.exitStatus, 'submitted');
    assert.equal(summary.reward, 0.5);
    assert.equal(summary.resolved, false);
    assert.deepEqual(
      trajectory.events.filter((event) => event.kind === 'user_status_malformed').map((event) => event.data?.round),
      [1, 2],
    );
    assert.equal(trajectory.turns.length, 2, 'the conversation stops after the second reply');
    assert.equal(trajectory.turns[1].messages[0].content, 'I upgraded, still broken.');
    assert.equal(
      trajectory.events.filter((event) => event.kind === 'docker_validation').length,
      0,
      'no Dockerfile, no validation',
    );
  });

  test('an INCORRECT verdict is reward 0', async () => {
    const { summary } = await converse(
      cabTask(undefined),
      {
        agent: [step.text('Reinstall Python.')],
        user: [step.text('That did nothing.\nSATISFACTION_STATUS: NOT_SATISFIED')],
        judge: [step.text('VERDICT: INCORRECT')],
      },
      { userRounds: 1 },
    );
    assert.equal(summary.reward, 0);
    assert.equal(summary.exitStatus, 'submitted');
  });

  test('a user and a judge whose servers return their thought in their text (<think>…</think>): the agent is never shown it, the events keep it, and it is read for no status or verdict', async () => {
    const { summary, trajectory, agent } = await converse(
      cabTask(undefined),
      {
        agent: [step.text('Upgrade mcpadapt.'), step.text('Run agent.run inside the with block.')],
        user: [
          step.text(
            '<think>\nCondition: the event loop must stay open.\nSATISFACTION_STATUS: FULLY_SATISFIED if so.\n</think>\n\nIt still closes.\nSATISFACTION_STATUS: NOT_SATISFIED',
          ),
          step.text('Thanks!\nSATISFACTION_STATUS: FULLY_SATISFIED'),
        ],
        judge: [step.text('<think>\nVERDICT: CORRECT at first sight.\n</think>\n\nVERDICT: INCORRECT')],
      },
      { userRounds: 2 },
    );
    assert.equal(summary.reward, 0);
    const [feedback] = trajectory.events.filter((event) => event.kind === 'user_feedback');
    assert.deepEqual(
      [feedback.data?.status, feedback.data?.message, feedback.data?.reasoning],
      [
        'NOT_SATISFIED',
        'It still closes.',
        '\nCondition: the event loop must stay open.\nSATISFACTION_STATUS: FULLY_SATISFIED if so.\n',
      ],
    );
    const shown = JSON.stringify(bodyOf(agent, 1).messages);
    assert.ok(shown.includes('It still closes.') && !shown.includes('Condition:'), shown);
    const verdict = trajectory.events.find((event) => event.kind === 'judge_verdict');
    assert.deepEqual(
      [verdict?.data?.verdict, verdict?.data?.reasoning],
      ['INCORRECT', '\nVERDICT: CORRECT at first sight.\n'],
    );
  });

  test('a judge that names no verdict leaves the run unscored and says so, never silently out of the mean', async () => {
    const { summary, trajectory } = await converse(cabTask(undefined), {
      agent: [step.text('Run agent.run inside the with block.')],
      user: [step.text('Thanks!\nSATISFACTION_STATUS: FULLY_SATISFIED')],
      judge: [step.text('The answer seems right to me.')],
    });
    assert.equal(summary.exitStatus, 'infra_error');
    assert.equal(summary.reward, null);
    assert.match(summary.reason ?? '', /the judge named no VERDICT/);
    assert.equal(trajectory.events.find((event) => event.kind === 'judge_verdict')?.data?.verdict, null);
  });

  test('a failing judge model leaves the run unscored (reward null, infra_error), never 0', async () => {
    const { summary, trajectory } = await converse(cabTask(undefined), {
      agent: [step.text('Run agent.run inside the with block.')],
      user: [step.text('Thanks!\nSATISFACTION_STATUS: FULLY_SATISFIED')],
      judge: Array.from({ length: 4 }, () => step.httpError(500)),
    });
    assert.equal(summary.reward, null);
    assert.equal(summary.resolved, null);
    assert.equal(summary.exitStatus, 'infra_error');
    assert.equal(trajectory.result?.reward, null);
    assert.ok(trajectory.events.some((event) => event.kind === 'judge_error'));
  });

  test('a failing user model leaves the run unscored and the judge is not asked', async () => {
    const { summary, judge } = await converse(cabTask(undefined), {
      agent: [step.text('Run agent.run inside the with block.')],
      user: Array.from({ length: 4 }, () => step.httpError(503)),
      judge: [step.text('VERDICT: CORRECT')],
    });
    assert.equal(summary.exitStatus, 'infra_error');
    assert.equal(summary.reward, null);
    assert.equal(judge.completionRequests.length, 0);
  });

  test("one budget spans the conversation: the user's tokens count, and the agent stops once the whole run has spent it", async () => {
    const { summary, trajectory, agent, judge } = await converse(
      cabTask(undefined),
      {
        agent: [step.text('Try upgrading mcpadapt.', { usage: { prompt_tokens: 400, completion_tokens: 100 } })],
        user: [
          step.text('Still broken.\nSATISFACTION_STATUS: NOT_SATISFIED', {
            usage: { prompt_tokens: 500, completion_tokens: 100 },
          }),
        ],
        judge: [step.text('VERDICT: INCORRECT')],
      },
      {},
      { maxTokens: 1000 },
    );
    assert.equal(agent.completionRequests.length, 1, 'no second round: 500 + 600 tokens passed the 1000 of the run');
    assert.equal(summary.exitStatus, 'token_limit');
    assert.match(summary.reason ?? '', /used 1100 of 1000 tokens/);
    assert.equal(judge.completionRequests.length, 1, 'the last answer is still judged');
    assert.equal(summary.reward, 0);
    assert.match(JSON.stringify(bodyOf(judge, 0).messages), /Try upgrading mcpadapt/);
    assert.equal(
      trajectory.result?.totals?.tokens_in,
      400 + 500 + (trajectory.result?.extra?.usage as { judge: { tokens_in: number } }).judge.tokens_in,
    );
  });

  test('the real Dockerfile needs the network: a clear infrastructure error naming the task, or the profile image when fallback is asked for (then no validation)', async () => {
    const task = cabTask(row.dockerfile as string);
    await assert.rejects(
      converse(task, { agent: [], user: [], judge: [] }),
      (error: Error) =>
        error.name === 'InfrastructureError' &&
        /task cab_lenient_18: its Dockerfile did not build offline/.test(error.message) &&
        /--dockerfile-fallback/.test(error.message),
    );
    const { summary, trajectory } = await converse(
      task,
      {
        agent: [step.text('Run agent.run inside the with block.')],
        user: [step.text('Thanks!\nSATISFACTION_STATUS: FULLY_SATISFIED')],
        judge: [step.text('VERDICT: CORRECT')],
      },
      { dockerfileFallback: true },
    );
    assert.equal(summary.reward, 1);
    assert.equal(trajectory.run.image?.name, imageForProfile('python'));
    assert.match(
      String(trajectory.events.find((event) => event.kind === 'dockerfile_fallback')?.data?.error),
      /cab_lenient_18/,
    );
    assert.equal(trajectory.events.filter((event) => event.kind === 'docker_validation').length, 0);
  });

  test('a batch runs CodeAssistBench tasks in their protocol and scores them by the verdict; without the user and judge it refuses before starting', async () => {
    const [agent, user, judge] = await Promise.all(
      [
        [step.text('Run agent.run inside the with block.')],
        [step.text('Thanks!\nSATISFACTION_STATUS: FULLY_SATISFIED')],
        [step.text('VERDICT: PARTIALLY CORRECT')],
      ].map((steps) => ScriptedOpenAIServer.start(steps, { apiKey: KEY })),
    );
    try {
      const common = {
        tasks: [cabTask(undefined)],
        policySpec: `openai:scripted@${agent.baseURL}`,
        policyOptions: { openai: { apiKey: KEY } },
        attempts: 1,
        workers: 1,
        outDir,
        evaluator: {
          createSandbox: (spec: Parameters<typeof DockerSandbox.create>[0]) => DockerSandbox.create(spec),
          imageForProfile,
        },
      };
      await assert.rejects(
        runBatch({ ...common, protocol: { reward: 'binary' } }),
        /cab_lenient_18 is a CodeAssistBench task: it needs the simulated user's and the judge's models/,
      );
      assert.equal(agent.completionRequests.length, 0);
      const { summaries, totals } = await runBatch({
        ...common,
        protocol: {
          reward: 'binary',
          cab: {
            userPolicySpec: `openai:u@${user.baseURL}`,
            judgePolicySpec: `openai:j@${judge.baseURL}`,
            userRounds: 10,
          },
        },
        createPolicy: async (spec) =>
          new OpenAIPolicy({
            model: 'scripted',
            baseURL: spec.includes(user.baseURL) ? user.baseURL : judge.baseURL,
            apiKey: KEY,
          }),
      });
      assert.equal(summaries[0].exitStatus, 'submitted', summaries[0].reason);
      assert.equal(summaries[0].reward, 0.5);
      assert.equal(totals.meanReward, 0.5);
    } finally {
      await Promise.all([agent.close(), user.close(), judge.close()]);
    }
  });
});
