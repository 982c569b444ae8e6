/**
 * A batch cancelled while a rollout starts its sandbox or installs its task's environment: the pull or the install
 * is stopped, that rollout is `cancelled` (not an error), and the rollouts not started yet are not started. An
 * in-memory sandbox stands in for the container.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NOT_STARTED_REASON, runBatch } from '../../../src/core/agent/batch';
import { CANCEL_REASON } from '../../../src/core/agent/loop';
import type { ExecOptions, SandboxSpec } from '../../../src/core/sandbox/sandbox';
import { environmentFor } from '../../../src/core/task/environment';
import { loadTasksStrict } from '../../../src/core/task/loadTasks';
import { fakeSandbox } from '../../support/fakeSandbox';
import { scripted } from '../../support/scriptedPolicy';

const TASK = join(__dirname, '..', '..', '..', '..', 'tasks', 'examples', 'pagekit__pagekit-14');
const INSTALL = 'pip install -e .';

test('a cancel during a task install stops the install: that rollout is cancelled, unrecorded; later ones never start', async () => {
  const loaded = (await loadTasksStrict(TASK))[0];
  const task = { ...loaded, environment: { ...environmentFor(loaded), install: [INSTALL] } };
  const controller = new AbortController();
  const installs: (ExecOptions | undefined)[] = [];
  let sandboxes = 0;
  const sandbox = fakeSandbox({
    async exec(command, options) {
      if (command !== INSTALL) throw new Error(`only the install runs, not ${command}`);
      installs.push(options);
      controller.abort();
      // An install that takes its time: only a signal given to the command stops it.
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (options?.signal?.aborted) throw options.signal.reason;
      return { exitCode: 0, stdout: '', stderr: '', truncated: false, timedOut: false, durationMs: 50 };
    },
  });
  const outDir = mkdtempSync(join(tmpdir(), 'batch-cancel-'));
  const started: number[] = [];
  const { summaries, totals } = await runBatch({
    tasks: [task],
    policySpec: 'scripted',
    policy: scripted([]),
    attempts: 3,
    workers: 1,
    outDir,
    protocol: { reward: 'binary' },
    evaluator: {
      createSandbox: async () => {
        sandboxes += 1;
        return sandbox;
      },
      imageForProfile: (profile) => `unused/${profile}`,
    },
    signal: controller.signal,
    onStart: (_task, attempt) => started.push(attempt),
  });
  assert.equal(installs.length, 1, JSON.stringify(summaries));
  assert.equal(installs[0]?.signal?.aborted, true, 'the install command was given the cancel');
  assert.deepEqual(
    summaries.map(({ exitStatus, reason, path }) => [exitStatus, reason, path]),
    [
      ['cancelled', CANCEL_REASON, ''],
      ['cancelled', NOT_STARTED_REASON, ''],
      ['cancelled', NOT_STARTED_REASON, ''],
    ],
  );
  assert.deepEqual([sandboxes, started], [1, [0]], 'no container and no start for the rollouts after the cancel');
  assert.deepEqual(totals.unscored, { cancelled: 3 });
  assert.ok(!existsSync(outDir) || readdirSync(outDir).length === 0, 'no record of a rollout that never began');
});

test('a cancel while the sandbox waits for its image stops the wait: that rollout is cancelled, later ones never start', async () => {
  const task = (await loadTasksStrict(TASK))[0];
  const controller = new AbortController();
  const specs: SandboxSpec[] = [];
  // A pull that never ends on its own: only the signal given with the sandbox's spec stops it.
  const pullingForever = (spec: SandboxSpec) =>
    new Promise<never>((_, reject) => {
      specs.push(spec);
      spec.signal?.addEventListener('abort', () => reject(spec.signal?.reason), { once: true });
      controller.abort();
    });
  const { summaries } = await runBatch({
    tasks: [task],
    policySpec: 'scripted',
    policy: scripted([]),
    attempts: 2,
    workers: 1,
    outDir: mkdtempSync(join(tmpdir(), 'batch-cancel-')),
    protocol: { reward: 'binary' },
    evaluator: { createSandbox: pullingForever, imageForProfile: (profile) => `unused/${profile}` },
    signal: controller.signal,
  });
  assert.equal(specs.length, 1);
  assert.deepEqual(
    summaries.map(({ exitStatus, reason }) => [exitStatus, reason]),
    [
      ['cancelled', CANCEL_REASON],
      ['cancelled', NOT_STARTED_REASON],
    ],
  );
});
