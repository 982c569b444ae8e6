import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RolloutQueue } from '../../../src/core/queue/rolloutQueue';
import { queueStatus } from '../../../src/core/queue/status';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { ScriptedOpenAIServer, step } from '../../support/scriptedOpenAIServer';
import { queueTestBed, runCli, stopWorker, TASKS, waitFor } from './queueHarness';

const bed = queueTestBed();
const KEY = 'sk-queue-right-0123456789';

test('a worker whose key the model refuses asks once: the later tries fail at once, with no container; after the key is mended and a cancel, the same command runs the failed jobs (real Redis, real Docker, real worker processes, local OpenAI wire-protocol test double)', async () => {
  const submit = step.toolCall('submit', { summary: 'nothing to change' });
  const model = await ScriptedOpenAIServer.start([submit, submit], { apiKey: KEY });
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-refused-'));
  const args = ['--tasks', TASKS, '--ids', 'pagekit__pagekit-14', '--attempts', '2'];
  const command = [...args, '--policy', `openai:scripted-model@${model.baseURL}`, '--out', outDir];
  const rollouts = new RolloutQueue(bed.redis.url);
  try {
    const { runIds } = await bed.enqueue(command);
    const wrongKey = bed.startWorker([], { OPENAI_API_KEY: 'sk-queue-wrong-0123456789' });
    await waitFor(
      'both jobs to fail',
      async () => ((await queueStatus(rollouts)).failed === 2 ? true : undefined),
      60_000,
      wrongKey.output,
    );
    await stopWorker(wrongKey);
    const lines = wrongKey.output().split('\n');
    assert.equal(lines.filter((line) => /^(start|resume) /.test(line)).length, 1, `one rollout started:\n${lines}`);
    assert.equal(model.completionRequests.length, 1, 'the model was asked once');
    const failedTries = lines.filter((line) => line.startsWith('failed '));
    assert.equal(failedTries.length, 6, `three tries of each job:\n${wrongKey.output()}`);
    assert.match(failedTries[0], /401.*Incorrect API key/);
    for (const later of failedTries.slice(1))
      assert.match(later, /not started: the model refused an earlier rollout's request, .*Incorrect API key/);

    assert.equal((await runCli(['status', '--queue', bed.redis.url, '--cancel'])).status, 0);
    const again = await bed.enqueue(command);
    assert.deepEqual(again.runIds, runIds, 'the same run ids');
    for (const runId of runIds)
      assert.match(again.output, new RegExp(`^tried again ${runId} \\(it had failed: .*Incorrect API key`, 'm'));
    const mended = bed.startWorker([], { OPENAI_API_KEY: KEY });
    await waitFor(
      'both jobs to finish',
      async () => ((await queueStatus(rollouts)).completed === 2 ? true : undefined),
      60_000,
      mended.output,
    );
    for (const runId of runIds) {
      const { trajectory } = await readTrajectoryLog(join(outDir, runId, 'trajectory.jsonl'));
      assert.equal(trajectory?.result?.exit_status, 'submitted', 'run, not cancelled: tried again after the cancel');
      assert.notEqual(trajectory?.result?.reward, null, 'graded');
    }
  } finally {
    await rollouts.close();
    await bed.stopWorkers();
    await model.close();
  }
});
