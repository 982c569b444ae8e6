import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runBatch } from '../../../src/core/agent/batch';
import { runCabRollout, type CabProtocolOptions } from '../../../src/core/agent/cab/cabRollout';
import { dockerfileImageTag } from '../../../src/core/agent/cab/dockerfileImage';
import { OpenAIPolicy } from '../../../src/core/agent/policies/openaiPolicy';
import { createDefaultToolbox } from '../../../src/core/agent/tools/toolbox';
import { binaryReward } from '../../../src/core/reward/binaryReward';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { dockerClient } from '../../../src/core/sandbox/engine';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { cabRowToTask } from '../../../src/core/task/cabSource';
import type { Task } from '../../../src/core/task/task';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { ScriptedOpenAIServer, step, type ScriptStep } from '../../support/scriptedOpenAIServer';

const FIXTURE = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'cab', 'cab_verified_lenient.jsonl');
const KEY = 'sk-test-cab0123456789abcdefABCDEF';

/** Row cab_lenient_18 (smolagents, "Event loop is closed"): its real issue, thread and conditions. */
function realRow(): Record<string, unknown> {
  const line = readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .find((row) => row.includes('"task_id": "cab_lenient_18"'));
  assert.ok(line, 'the fixture holds row cab_lenient_18');
  return JSON.parse(line) as Record<string, unknown>;
}

/** The real repository cannot be cloned here: a small local one with the part of the API the issue is about. */
function localRepo(): { location: string; commit: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cab-repo-'));
  mkdirSync(join(dir, 'smolagents'));
  writeFileSync(join(dir, 'smolagents', '__init__.py'), 'from .tools import ToolCollection\n');
  writeFileSync(
    join(dir, 'smolagents', 'tools.py'),
    [
      'from contextlib import contextmanager',
      '',
      'class ToolCollection:',
      '    @classmethod',
      '    @contextmanager',
      '    def from_mcp(cls, server_parameters):',
      '        """The MCP server runs only while this context is open; tools fail once it closes."""',
      '        client = start_mcp_client(server_parameters)',
      '        try:',
      '            yield cls(client.tools)',
      '        finally:',
      '            client.stop()',
      '',
    ].join('\n'),
  );
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', '.');
  git('-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-q', '-m', 'smolagents excerpt');
  return { location: dir, commit: git('rev-parse', 'HEAD') };
}

describe('CodeAssistBench conversations in real Docker with a simulated user and a judge on local OpenAI wire-protocol test doubles', () => {
  let row: Record<string, unknown>;
  let repo: { location: string; commit: string };
  let outDir: string;
  const builtImages: string[] = [];

  before(() => {
    row = realRow();
    repo = localRepo();
    outDir = mkdtempSync(join(tmpdir(), 'cab-runs-'));
  });

  after(async () => {
    for (const image of builtImages)
      await dockerClient()
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
  });

  /** The real task, its repository swapped for the local one and its Dockerfile for `dockerfile`. */
  function cabTask(dockerfile: string | undefined): Task {
    const task = cabRowToTask({ ...row, dockerfile: dockerfile ?? null });
    return { ...task, repo: { location: repo.location, commit: repo.commit }, cab: { ...task.cab!, dockerfile } };
  }

  async function converse(
    task: Task,
    scripts: { agent: ScriptStep[]; user: ScriptStep[]; judge: ScriptStep[] },
    cab: Partial<CabProtocolOptions> = {},
  ) {
    const [agent, user, judge] = await Promise.all(
      [scripts.agent, scripts.user, scripts.judge].map((steps) => ScriptedOpenAIServer.start(steps, { apiKey: KEY })),
    );
    const policy = (server: ScriptedOpenAIServer) =>
      new OpenAIPolicy({
        model: 'scripted',
        baseURL: server.baseURL,
        apiKey: KEY,
        retry: { maxRetries: 1, baseDelayMs: 10 },
      });
    try {
      const summary = await runCabRollout({
        task,
        policy: policy(agent),
        policySpec: `openai:scripted@${agent.baseURL}`,
        toolbox: createDefaultToolbox(),
        outDir,
        evaluator: { createSandbox: (spec) => DockerSandbox.create(spec), imageForProfile },
        createSandbox: (spec) => DockerSandbox.create(spec),
        secrets: [KEY],
        cab: {
          userPolicy: policy(user),
          userPolicySpec: `openai:scripted@${user.baseURL}`,
          judgePolicy: policy(judge),
          judgePolicySpec: `openai:scripted@${judge.baseURL}`,
          userRounds: 3,
          ...cab,
        },
      });
      const { trajectory, problems } = await readTrajectoryLog(summary.path);
      assert.deepEqual(problems, []);
      assert.ok(trajectory);
      return { summary, trajectory, agent, user, judge };
    } finally {
      await Promise.all([agent.close(), user.close(), judge.close()]);
    }
  }

  test("the agent answers in a container built from the task Dockerfile, the user follows up, is fully satisfied, and the judge's CORRECT is reward 1", async () => {
    const dockerfile = `FROM ${imageForProfile('python')}\nUSER root\nRUN echo "built from the task Dockerfile" > /etc/cab-image\n`;
    const task = cabTask(dockerfile);
    builtImages.push(dockerfileImageTag(task, dockerfile));
    const { summary, trajectory, agent, user, judge } = await converse(task, {
      agent: [
        step.toolCall('bash', { command: 'cat /etc/cab-image; grep -n "context" smolagents/tools.py' }),
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
          'Why would the event loop be closed though?\n\nSATISFACTION_STATUS: PARTIALLY_SATISFIED\nREASON: the lifetime of the connection is not explained',
        ),
        step.text(
          'Ah, that makes sense, thank you!\n\nSATISFACTION_STATUS: FULLY_SATISFIED\nREASON: all conditions met',
        ),
      ],
      judge: [step.text('CONDITION 1: TRUE\nCONDITION 2: TRUE\nCONDITION 3: TRUE\n\nVERDICT: CORRECT')],
    });
    assert.equal(summary.exitStatus, 'submitted');
    assert.equal(summary.reward, 1);
    assert.equal(summary.resolved, true);
    assert.equal(trajectory.run.image?.name, dockerfileImageTag(task, dockerfile));
    assert.match(trajectory.turns[0].observations[0].output, /built from the task Dockerfile/);

    assert.deepEqual(
      trajectory.turns.map((turn) => turn.messages.map((message) => message.role)),
      [['system', 'user', 'assistant', 'tool'], ['assistant'], ['user', 'assistant', 'tool']],
    );
    assert.match(
      trajectory.turns[0].messages[1].content ?? '',
      /Event loop is closed/,
      'the agent sees the real issue',
    );
    assert.doesNotMatch(
      trajectory.turns[0].messages[1].content ?? '',
      /TLDR; just indent/,
      'but not how the thread went',
    );
    assert.equal(
      trajectory.turns[2].messages[0].content,
      'Why would the event loop be closed though?',
      'the user reply without its status section',
    );
    assert.equal(
      trajectory.turns[1].signals?.format_errors,
      0,
      'an answer without tool calls ends the round, it is no format error',
    );

    const feedback = trajectory.events.filter((event) => event.kind === 'user_feedback');
    assert.deepEqual(
      feedback.map((event) => [event.after_turn, event.data?.status]),
      [
        [2, 'PARTIALLY_SATISFIED'],
        [3, 'FULLY_SATISFIED'],
      ],
    );
    const verdict = trajectory.events.find((event) => event.kind === 'judge_verdict');
    assert.equal(verdict?.data?.verdict, 'CORRECT');
    assert.equal(trajectory.result?.reward?.value, 1);
    assert.deepEqual(
      (trajectory.result?.reward?.report as { verdict: string; user_rounds: number }).verdict,
      'CORRECT',
    );
    assert.equal((trajectory.result?.reward?.report as { user_rounds: number }).user_rounds, 2);

    // Each party saw what it should.
    const userSystem = (user.completionRequests[0].body?.messages as { content: string }[])[0].content;
    for (const condition of task.cab!.satisfactionConditions)
      assert.ok(userSystem.includes(condition), `the user knows condition "${condition}"`);
    assert.match(userSystem, /TLDR; just indent/, 'the user knows how the real thread went');
    assert.match(
      JSON.stringify(user.completionRequests[1].body?.messages),
      /Indent `response = agent.run/,
      'the user read the submitted answer',
    );
    assert.doesNotMatch(
      JSON.stringify(agent.completionRequests[2].body?.messages),
      /SATISFACTION_STATUS/,
      'the agent never sees the status',
    );
    const judged = JSON.stringify(judge.completionRequests[0].body?.messages);
    assert.match(judged, /Why would the event loop be closed/);
    assert.match(judged, /Clarification about the proper scope\/lifetime/);
    assert.ok(!readFileSync(summary.path, 'utf8').includes(KEY), 'no key in the trajectory');
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
        judge: [step.text('**VERDICT:** [PARTIALLY CORRECT]')],
      },
      { userRounds: 2 },
    );
    assert.equal(summary.exitStatus, 'submitted');
    assert.equal(summary.reward, 0.5);
    assert.equal(summary.resolved, false);
    const malformed = trajectory.events.filter((event) => event.kind === 'user_status_malformed');
    assert.deepEqual(
      malformed.map((event) => event.data?.round),
      [1, 2],
    );
    assert.deepEqual(
      trajectory.events.filter((event) => event.kind === 'user_feedback').map((event) => event.data?.status),
      ['NOT_SATISFIED', 'NOT_SATISFIED'],
    );
    assert.equal(trajectory.turns.length, 2, 'the conversation stops after the second reply');
    assert.equal(trajectory.turns[1].messages[0].content, 'I upgraded, still broken.');
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

  test('the real Dockerfile needs the network: a clear infrastructure error naming the task, or the profile image when fallback is asked for', async () => {
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
  });

  test('a batch runs CodeAssistBench tasks in the conversation protocol and scores them by the verdict', async () => {
    const [agent, user, judge] = await Promise.all(
      [
        [step.text('Run agent.run inside the with block.')],
        [step.text('Thanks!\nSATISFACTION_STATUS: FULLY_SATISFIED')],
        [step.text('VERDICT: PARTIALLY CORRECT')],
      ].map((steps) => ScriptedOpenAIServer.start(steps, { apiKey: KEY })),
    );
    try {
      const policy = (server: ScriptedOpenAIServer) =>
        new OpenAIPolicy({ model: 'scripted', baseURL: server.baseURL, apiKey: KEY });
      const { summaries, totals } = await runBatch({
        tasks: [cabTask(undefined)],
        policySpec: `openai:scripted@${agent.baseURL}`,
        policyOptions: { openai: { apiKey: KEY } },
        attempts: 1,
        workers: 1,
        outDir,
        rewardFn: binaryReward,
        evaluator: { createSandbox: (spec) => DockerSandbox.create(spec), imageForProfile },
        cab: {
          userPolicy: policy(user),
          userPolicySpec: 'openai:scripted',
          judgePolicy: policy(judge),
          judgePolicySpec: 'openai:scripted',
          userRounds: 3,
        },
      });
      assert.equal(summaries[0].exitStatus, 'submitted', summaries[0].reason);
      assert.equal(summaries[0].reward, 0.5);
      assert.equal(totals.meanReward, 0.5);
    } finally {
      await Promise.all([agent.close(), user.close(), judge.close()]);
    }
  });
});
