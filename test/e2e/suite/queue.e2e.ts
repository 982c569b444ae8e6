import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { enqueueRollouts, RolloutQueue, rolloutJobs } from '../../../src/core/queue/rolloutQueue';
import { startServerOnFreePort } from '../../support/serverOnFreePort';
import { api, PROJECT_ROOT, waitFor } from './helpers';

export function queueTests(): void {
  describe('the job queue in the Runs view (real redis-server on loopback)', () => {
    let redis: ChildProcess;
    let url: string;

    before(async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'rollout-e2e-redis-'));
      const server = await startServerOnFreePort({
        name: 'redis-server',
        command: 'redis-server',
        args: (port) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dataDir],
        listening: (port) => new RegExp(`port=${port}\\b[^]*Ready to accept connections`),
      });
      redis = server.child;
      url = `redis://127.0.0.1:${server.port}`;
    });

    after(async () => {
      await vscode.workspace
        .getConfiguration('rolloutStudio')
        .update('queue.url', undefined, vscode.ConfigurationTarget.Workspace);
      redis?.kill();
    });

    it('shows waiting, active, done and failed counts of the queue it is pointed at', async () => {
      const queue = await RolloutQueue.open(url);
      try {
        const tasks = path.join(PROJECT_ROOT, 'tasks', 'examples');
        await enqueueRollouts(
          queue,
          rolloutJobs({
            taskFile: tasks,
            taskIds: ['pagekit__pagekit-14'],
            attempts: 2,
            policySpec: `recorded:${tasks}`,
            outDir: mkdtempSync(path.join(tmpdir(), 'rollout-e2e-queue-')),
            protocol: { reward: 'binary' },
            maxTurns: 5,
          }),
        );
      } finally {
        await queue.close();
      }
      await vscode.workspace
        .getConfiguration('rolloutStudio')
        .update('queue.url', url, vscode.ConfigurationTarget.Workspace);
      const { runsView, queue: monitor } = await api();
      await waitFor('the queue figures', () => monitor.lastStatus?.waiting === 2);
      assert.match(
        String(runsView.message),
        new RegExp(`^Queue ${url}: 2 waiting · 0 active · 0 done · 0 failed · 0 worker\\(s\\)$`),
      );
    });
  });
}
