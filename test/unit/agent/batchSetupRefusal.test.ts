/**
 * A batch whose model refuses a request as it would refuse every one (a wrong key, a server set up without tool
 * calling) starts no more rollouts: each is reported unscored with that refusal, with no container and no record.
 * OpenAI's wire-format double stands in for the server, an in-memory sandbox for the container.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runBatch } from '../../../src/core/agent/batch';
import { loadTasksStrict } from '../../../src/core/task/loadTasks';
import { fakeSandbox } from '../../support/fakeSandbox';
import { ScriptedOpenAIServer } from '../../support/scriptedOpenAIServer';
import { step, type ScriptStep } from '../../support/scriptedServer';

const TASK = join(__dirname, '..', '..', '..', '..', 'tasks', 'examples', 'pagekit__pagekit-14');
const KEY = 'sk-test-batch-0123456789';

describe('a batch after a refusal every request would get (OpenAI wire-format double)', () => {
  const servers: ScriptedOpenAIServer[] = [];
  after(async () => Promise.all(servers.map((server) => server.close())));

  async function batchOn(steps: ScriptStep[], apiKey = KEY) {
    const server = await ScriptedOpenAIServer.start(steps, { apiKey: KEY });
    servers.push(server);
    let sandboxes = 0;
    const { summaries, totals } = await runBatch({
      tasks: (await loadTasksStrict(TASK)).slice(0, 1),
      policySpec: `openai:scripted-model@${server.baseURL}`,
      policyOptions: { openai: { apiKey, retry: { maxRetries: 0 } }, noProbe: true },
      attempts: 3,
      workers: 1,
      outDir: mkdtempSync(join(tmpdir(), 'batch-refusal-')),
      protocol: { reward: 'binary' },
      evaluator: {
        createSandbox: async () => (sandboxes++, fakeSandbox()),
        imageForProfile: (profile) => `unused/${profile}`,
      },
    });
    return { summaries, totals, sandboxes, requests: server.completionRequests.length };
  }

  const refusals: [string, ScriptStep[], string, RegExp][] = [
    ['a wrong key (401)', [], 'sk-wrong-key-0123456789', /401/],
    [
      'a vLLM server without --enable-auto-tool-choice',
      [
        step.httpError(400, {
          message: '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
        }),
      ],
      KEY,
      /--enable-auto-tool-choice/,
    ],
  ];
  for (const [what, steps, apiKey, words] of refusals)
    test(`${what}: the first rollout ends infra_error; the rest are not started, unscored, saying why`, async () => {
      const { summaries, totals, sandboxes, requests } = await batchOn(steps, apiKey);
      assert.deepEqual(
        summaries.map((summary) => summary.exitStatus),
        ['infra_error', 'infra_error', 'infra_error'],
      );
      assert.match(summaries[0].reason ?? '', words);
      for (const later of summaries.slice(1)) {
        assert.match(later.reason ?? '', /^not started: the model refused an earlier rollout's request/);
        assert.match(later.reason ?? '', words);
        assert.equal(later.path, '', 'no record');
      }
      assert.equal(requests, 1, 'the server was asked once');
      assert.equal(sandboxes, 1, 'one container');
      assert.equal(totals.scored, 0);
    });

  test("a refusal of one request's content (another 400) does not stop the batch", async () => {
    const submit = step.toolCall('submit', { summary: 'done' });
    const { summaries } = await batchOn([
      step.httpError(400, { message: 'Invalid value for messages' }),
      submit,
      submit,
    ]);
    assert.deepEqual(
      summaries.map((summary) => summary.exitStatus),
      ['infra_error', 'submitted', 'submitted'],
    );
  });
});

describe('a resume that fails before its run goes on', () => {
  test('is reported under the run it resumed, unscored', async () => {
    const [task] = await loadTasksStrict(TASK);
    const resumed = { run_id: 'pagekit__pagekit-14.lost', task_id: task.id, attempt: 2 };
    const { summaries } = await runBatch({
      tasks: [task],
      resume: resumed as Parameters<typeof runBatch>[0]['resume'] & object,
      policySpec: 'openai:scripted-model@http://127.0.0.1:9/v1',
      policyOptions: { openai: { apiKey: KEY, retry: { maxRetries: 0 } }, noProbe: true },
      attempts: 1,
      workers: 1,
      outDir: mkdtempSync(join(tmpdir(), 'batch-resume-')),
      protocol: { reward: 'binary' },
      evaluator: { createSandbox: async () => fakeSandbox(), imageForProfile: (profile) => `unused/${profile}` },
    });
    assert.deepEqual(
      summaries.map(({ runId, attempt, reward }) => [runId, attempt, reward]),
      [['pagekit__pagekit-14.lost', 2, null]],
    );
    assert.match(summaries[0].reason ?? '', /resume|no such|ENOENT/i);
  });
});
