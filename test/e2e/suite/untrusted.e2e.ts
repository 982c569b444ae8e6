import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { TaskSet } from '../../../src/extension/views/tasksTree';
import { api, FIXTURES, workspaceFolder } from './helpers';

/** Runs in a workbench whose folder is not trusted (restricted mode). */
export function untrustedTests(): void {
  describe('untrusted workspace', () => {
    it('is opened in restricted mode', () => {
      assert.equal(vscode.workspace.isTrusted, false);
    });

    it('refuses to evaluate predictions (containers) with a clear message, and starts nothing', async () => {
      const { failures } = await api();
      const tasks = path.join(FIXTURES, 'swe-bench', 'swe-bench-lite-sample.json');
      const out = path.join(workspaceFolder(), 'evaluation');
      const result = await vscode.commands.executeCommand('rolloutStudio.evaluatePredictions', {
        tasks,
        predictions: tasks,
        out,
      });
      assert.equal(result, undefined);
      const refusal = failures.at(-1);
      assert.ok(refusal?.untrusted, `refused as untrusted: ${JSON.stringify(refusal)}`);
      assert.match(refusal.message, /disabled in an untrusted workspace/);
      assert.equal(existsSync(out), false);
    });

    it('refuses to run the agent, replay a trajectory or fine-tune, naming the reason', async () => {
      const { failures } = await api();
      const set = (await vscode.commands.executeCommand(
        'rolloutStudio.openTaskSet',
        path.join(FIXTURES, 'swe-bench', 'swe-bench-lite-sample.json'),
      )) as TaskSet;
      assert.equal(
        await vscode.commands.executeCommand('rolloutStudio.runAgent', { tasks: set.tasks.slice(0, 1) }),
        undefined,
      );
      assert.equal(
        await vscode.commands.executeCommand(
          'rolloutStudio.replayTrajectory',
          path.join(FIXTURES, 'no-such-run', 'trajectory.jsonl'),
        ),
        undefined,
      );
      assert.equal(
        await vscode.commands.executeCommand('rolloutStudio.fineTune', {
          method: 'sft',
          data: 'x.jsonl',
          baseModel: 'm',
          out: 'o',
        }),
        undefined,
      );
      const refusals = failures.slice(-3);
      assert.deepEqual(
        refusals.map((failure) => [failure.command, failure.untrusted]),
        [
          ['rolloutStudio.runAgent', true],
          ['rolloutStudio.replayTrajectory', true],
          ['rolloutStudio.fineTune', true],
        ],
      );
      assert.match(refusals[0].message, /^Run Agent: .*disabled in an untrusted workspace/);
      assert.equal(existsSync(path.join(workspaceFolder(), '.rollout')), false, 'no run was recorded');
    });

    it('still opens task sets and trajectories (limited support)', async () => {
      const set = (await vscode.commands.executeCommand(
        'rolloutStudio.openTaskSet',
        path.join(FIXTURES, 'cab', 'cab_verified_lenient.jsonl'),
      )) as TaskSet;
      assert.ok(set.tasks.length > 0);
    });
  });
}
