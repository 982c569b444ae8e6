import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import { readRunIndex } from '../../../src/core/trajectory/runIndex';
import type { TaskSet } from '../../../src/extension/views/tasksTree';
import { startSyntheticRun } from './fakeRun';
import { api, FIXTURES, waitFor, workspaceFolder } from './helpers';

/** Runs in a workbench whose folder is not trusted (restricted mode). */
export function untrustedTests(): void {
  describe('untrusted workspace', () => {
    it('is opened in restricted mode', () => {
      assert.equal(vscode.workspace.isTrusted, false);
    });

    it("ignores the folder's own queue URL, Docker host, model endpoint, output folder and training flags", async () => {
      // vscode-host.test.ts wrote them into the folder's .vscode/settings.json, with workers = 7 (not restricted).
      const config = () => vscode.workspace.getConfiguration('rolloutStudio');
      await waitFor("VS Code to read the folder's settings", () => config().get('workers') === 7);
      const { queue, runsView } = await api();
      // What activation did, done again now that the folder's settings are read.
      await queue.follow();
      assert.equal(config().get('queue.url'), '');
      assert.equal(config().get('docker.host'), '');
      assert.equal(config().get('model.endpoint'), 'https://api.openai.com/v1');
      assert.equal(config().get('outputFolder'), '.rollout/runs');
      assert.equal(config().get('train.options'), '');
      assert.equal(queue.lastStatus, undefined);
      assert.equal(runsView.message, undefined);
    });

    it('refuses to delete a run, and the run stays', async () => {
      const { failures, runs } = await api();
      const outputFolder = path.join(workspaceFolder(), '.rollout', 'runs');
      const recorder = await startSyntheticRun(outputFolder, 'kept-when-untrusted');
      await recorder.finish({ exit_status: 'submitted', patch: '', reward: { value: 0 } });
      await recorder.close();
      runs.refresh();
      const item = await waitFor('the run in the Runs view', async () =>
        (await runs.getChildren()).find((run) => run.entry.run_id === 'kept-when-untrusted'),
      );
      assert.equal(await vscode.commands.executeCommand('rolloutStudio.deleteRun', item, true), undefined);
      const refusal = failures.at(-1);
      assert.deepEqual([refusal?.command, refusal?.untrusted], ['rolloutStudio.deleteRun', true]);
      assert.match(refusal?.message ?? '', /^Delete Run: .*disabled in an untrusted workspace/);
      assert.ok(existsSync(path.dirname(item.logPath)), 'the run folder is still there');
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

    it('refuses to run the agent, re-execute a trajectory or fine-tune, naming the reason', async () => {
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
          'rolloutStudio.reexecuteTrajectory',
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
          ['rolloutStudio.reexecuteTrajectory', true],
          ['rolloutStudio.fineTune', true],
        ],
      );
      assert.match(refusals[0].message, /^Run Agent: .*disabled in an untrusted workspace/);
      const recorded = await readRunIndex(path.join(workspaceFolder(), '.rollout', 'runs'));
      assert.deepEqual(
        recorded.filter((run) => run.task_id === set.tasks[0].id),
        [],
        'no run was recorded',
      );
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
