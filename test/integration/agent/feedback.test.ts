/**
 * Test-feedback rounds (MINT's protocol for code) end to end: real Docker, the task's real tests, the agent and
 * the feedback model on local OpenAI wire-protocol test doubles.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { runBatch } from '../../../src/core/agent/batch';
import { OpenAIPolicy } from '../../../src/core/agent/policies/openaiPolicy';
import { readRunFacts } from '../../../src/core/report/runFacts';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { loadTasksStrict } from '../../../src/core/task/loadTasks';
import type { Task } from '../../../src/core/task/task';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { ScriptedOpenAIServer, step } from '../../support/scriptedOpenAIServer';

const TASKS = join(__dirname, '..', '..', '..', '..', 'tasks', 'examples');
const PAGINATOR = 'pagekit/paginator.py';
const HIDDEN = 'test_exact_multiple_has_no_empty_last_page';

/** A first submission that changes nothing that matters (the hidden tests still fail). */
const cosmetic = step.toolCall('edit', {
  command: 'str_replace',
  path: PAGINATOR,
  old_str: '"""Split a sequence into fixed-size, 1-indexed pages."""',
  new_str: '"""Split a sequence into pages of a fixed size, numbered from 1."""',
});
/** A first submission that breaks an existing test (floor division). */
const naive = step.toolCall('edit', {
  command: 'str_replace',
  path: PAGINATOR,
  old_str: 'return self.count // self.per_page + 1',
  new_str: 'return self.count // self.per_page',
});
const fix = step.toolCall('edit', {
  command: 'str_replace',
  path: PAGINATOR,
  old_str: 'return self.count // self.per_page + 1',
  new_str: 'return -(-self.count // self.per_page)',
});
const submit = step.toolCall('submit', { summary: 'page_count' });

type Message = { role: string; content: string };
const messagesOf = (server: ScriptedOpenAIServer, index: number) =>
  (server.completionRequests[index].body as { messages: Message[] }).messages;

describe('test-feedback rounds (MINT) in real Docker with the task tests, agent and feedback model on local OpenAI wire-protocol test doubles', () => {
  let task: Task;
  let outDir: string;

  before(async () => {
    task = (await loadTasksStrict(join(TASKS, 'pagekit__pagekit-14')))[0];
    outDir = mkdtempSync(join(tmpdir(), 'rollout-feedback-'));
  });

  const evaluator = {
    createSandbox: (spec: Parameters<typeof DockerSandbox.create>[0]) => DockerSandbox.create(spec),
    imageForProfile,
  };

  test('a run that resolves in round 2 records rewards 0 then 1; the hidden tests that still fail come back counted, not named, and the batch gives success by round', async () => {
    const agent = await ScriptedOpenAIServer.start([cosmetic, submit, fix, submit]);
    try {
      const { summaries, totals } = await runBatch({
        tasks: [task],
        policySpec: `openai:scripted@${agent.baseURL}`,
        policyOptions: { openai: { apiKey: 'none' } },
        attempts: 1,
        workers: 1,
        outDir,
        protocol: { reward: 'binary', feedback: { rounds: 2, source: 'tests' } },
        evaluator,
      });
      const [summary] = summaries;
      assert.equal(summary.exitStatus, 'submitted', summary.reason);
      assert.equal(summary.protocol, 'swe-feedback');
      assert.deepEqual(summary.rounds, [
        { round: 1, reward: 0, resolved: false },
        { round: 2, reward: 1, resolved: true },
      ]);
      assert.equal(summary.reward, 1);
      assert.deepEqual(totals.successByRound, [0, 1], 'resolved by round 1: none; by round 2: all');

      const { trajectory } = await readTrajectoryLog(summary.path);
      assert.ok(trajectory);
      assert.deepEqual(
        trajectory.events
          .filter((event) => event.kind === 'round_scored')
          .map((event) => [event.data?.round, event.data?.reward]),
        [
          [1, 0],
          [2, 1],
        ],
      );
      assert.deepEqual(
        (trajectory.result?.reward?.report as { rounds: unknown }).rounds,
        summary.rounds,
        'the rounds are in the run result too',
      );
      const feedback = trajectory.turns[2].messages[0];
      assert.equal(feedback.role, 'user');
      assert.deepEqual(feedback.extra, { speaker: 'test_feedback', round: 1 });
      assert.equal(feedback.content, messagesOf(agent, 2).at(-1)?.content, 'the agent got it as its next message');
      const text = feedback.content ?? '';
      assert.match(text, /round 1 of 3/);
      assert.match(text, /4 of the 4 tests that check the issue do not pass yet \(their names are withheld\)/);
      assert.doesNotMatch(text, /Existing tests that fail now/);
      for (const hidden of task.failToPass) assert.ok(!text.includes(hidden.split('::')[1]), `${hidden} is not named`);
      assert.match(
        text,
        /The end of the test log \(\d+ lines naming withheld tests left out\):\n```\n[\s\S]*\d+ failed, \d+ passed/,
      );
      assert.ok(!('extra' in messagesOf(agent, 2).at(-1)!), 'the mark stays in the record');
      const report = JSON.parse(readFileSync(join(outDir, summary.runId, 'report.json'), 'utf8')) as Record<
        string,
        { resolved: boolean }
      >;
      assert.equal(report[task.id].resolved, true, "the harness's report.json is the last round's");

      const { facts } = await readRunFacts(summary.path);
      assert.equal(facts?.protocol, 'swe-feedback', 'rollout report reads the protocol');
      assert.deepEqual(facts?.analytics.rounds, [
        { round: 1, succeeded: false },
        { round: 2, succeeded: true },
      ]);
    } finally {
      await agent.close();
    }
  });

  test("feedback from a feedback model: it reads the issue, the patch and the test results (hidden names only when revealed), its advice goes to the agent, its tokens are the run's; rounds run out unresolved", async () => {
    const agent = await ScriptedOpenAIServer.start([naive, submit, submit]);
    const reviewer = await ScriptedOpenAIServer.start([
      step.text('Look at how page_count rounds when the count is not a multiple of per_page.', {
        usage: { prompt_tokens: 700, completion_tokens: 20 },
      }),
    ]);
    try {
      const { summaries, totals } = await runBatch({
        tasks: [task],
        policySpec: `openai:scripted@${agent.baseURL}`,
        policyOptions: { openai: { apiKey: 'none' } },
        attempts: 1,
        workers: 1,
        outDir,
        protocol: {
          reward: 'binary',
          feedback: {
            rounds: 1,
            source: 'model',
            policySpec: `openai:reviewer@${reviewer.baseURL}`,
            revealTests: true,
          },
        },
        createPolicy: async () =>
          new OpenAIPolicy({
            model: 'reviewer',
            baseURL: reviewer.baseURL,
            apiKey: 'none',
            settings: { temperature: 0 },
          }),
        evaluator,
      });
      const [summary] = summaries;
      assert.deepEqual(
        summary.rounds?.map((round) => round.reward),
        [0, 0],
      );
      assert.equal(summary.reward, 0);
      assert.deepEqual(totals.successByRound, [0, 0]);
      const asked = messagesOf(reviewer, 0);
      assert.equal((reviewer.completionRequests[0].body as { temperature: number }).temperature, 0);
      assert.match(asked[1].content, /page_count/, 'the issue');
      assert.match(asked[1].content, /-        return self.count \/\/ self.per_page \+ 1/, 'the patch');
      assert.match(asked[1].content, new RegExp(HIDDEN), 'revealed: the hidden tests are named');
      assert.match(
        asked[1].content,
        /Existing tests that fail now:\n- tests\/test_paginator.py::test_partial_last_page/,
      );
      const advice = messagesOf(agent, 2).at(-1)?.content ?? '';
      assert.match(advice, /A reviewer's feedback:\n\nLook at how page_count rounds/);
      const { trajectory } = await readTrajectoryLog(summary.path);
      assert.deepEqual(trajectory?.turns[2].messages[0].extra, { speaker: 'model_feedback', round: 1 });
      const usage = trajectory?.result?.extra?.usage as Record<string, { tokens_in: number }>;
      assert.equal(usage.feedback.tokens_in, 700);
    } finally {
      await Promise.all([agent.close(), reviewer.close()]);
    }
  });
});
