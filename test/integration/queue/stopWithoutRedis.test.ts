import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { containersOf, runDirs, TASK_ID, turnsRecorded } from '../../faults/support/exampleBatch';
import { ScriptedOpenAIServer, step, type ScriptStep } from '../../support/scriptedOpenAIServer';
import { queueTestBed, TASKS, waitFor } from './queueHarness';

const bed = queueTestBed();

/** A view, then a bash command answered 15 s late (the rollouts are running when Redis goes), then a submit. */
function answerByLength(request: { body?: Record<string, unknown> }): ScriptStep {
  const answered = ((request.body?.messages ?? []) as { role: string }[]).filter(
    (message) => message.role === 'assistant',
  ).length;
  if (answered === 0) return step.toolCall('view', { path: 'pagekit/paginator.py', start_line: 44, end_line: 49 });
  if (answered === 1) return step.toolCall('bash', { command: 'echo late' }, { delayMs: 15_000 });
  return step.toolCall('submit', {});
}

test('a worker stopped with SIGTERM whose Redis stops 3 s later still ends its rollouts, removes their containers and exits (real Redis, real Docker, a real worker process, local OpenAI wire-protocol test double)', async () => {
  const model = await ScriptedOpenAIServer.start([], { respond: answerByLength });
  const outDir = mkdtempSync(join(tmpdir(), 'rollout-stop-no-redis-'));
  try {
    const worker = bed.startWorker(['--concurrency', '2', '--lock-seconds', '10']);
    const runArgs = ['--tasks', TASKS, '--ids', TASK_ID, '--attempts', '2', '--out', outDir];
    await bed.enqueue([...runArgs, '--policy', `openai:scripted@${model.baseURL}`]);
    await waitFor(
      'both rollouts to record a turn',
      async () => turnsRecorded(outDir) >= 2 || undefined,
      120_000,
      worker.output,
    );
    const pid = worker.child.pid as number;
    assert.equal(await containersOf(pid), 2, 'one sandbox per running rollout');
    const exited = new Promise<number | null>((resolve) => worker.child.once('exit', resolve));
    worker.child.kill('SIGTERM');
    await sleep(3_000);
    await bed.redis.stop();
    const status = await Promise.race([exited, sleep(180_000).then(() => 'still running' as const)]);
    assert.notEqual(status, 'still running', `the worker did not exit:\n${worker.output()}`);
    assert.equal(await containersOf(pid), 0, `containers left:\n${worker.output()}`);
    assert.equal(runDirs(outDir).length, 2);
  } finally {
    await model.close();
    rmSync(outDir, { recursive: true, force: true });
  }
});
