import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { DoctorCheck } from '../../../src/core/sandbox/doctor';
import { api, FIXTURES } from './helpers';

/** Runs in a workbench with no folder open: the commands that record nothing must not need one. */
export function noFolderTests(): void {
  describe('no folder open', () => {
    it('has no workspace folder', () => {
      assert.equal(vscode.workspace.workspaceFolders, undefined);
    });

    it('sets the model endpoint and its API key in the user settings and secret storage', async () => {
      const { apiKeys, failures } = await api();
      const endpoint = 'http://127.0.0.1:9/v1';
      assert.deepEqual(
        await vscode.commands.executeCommand('rolloutStudio.selectModelEndpoint', endpoint, 'local-model'),
        { endpoint, model: 'local-model' },
      );
      const config = vscode.workspace.getConfiguration('rolloutStudio');
      assert.equal(config.inspect('model.endpoint')?.globalValue, endpoint);
      assert.equal(await vscode.commands.executeCommand('rolloutStudio.setApiKey', 'sk-no-folder'), true);
      assert.equal(await apiKeys.get(endpoint), 'sk-no-folder');
      assert.deepEqual(failures, []);
    });

    it('runs the doctor, which names every check', async () => {
      const { failures } = await api();
      const checks = (await vscode.commands.executeCommand('rolloutStudio.runDoctor')) as DoctorCheck[];
      assert.ok(Array.isArray(checks) && checks.length > 0, `doctor returned ${JSON.stringify(checks)}`);
      assert.ok(checks.every((check) => check.name && check.detail !== undefined));
      assert.deepEqual(failures, []);
    });

    it('shows an empty Runs view and opens a trajectory file', async () => {
      const { runs, failures } = await api();
      assert.deepEqual(await runs.getChildren(), []);
      const log = path.join(FIXTURES, 'trajectories', 'schema-v1', 'v1-finished', 'trajectory.jsonl');
      const panel = await vscode.commands.executeCommand('rolloutStudio.openTrajectory', log);
      assert.ok(panel, 'a playback panel opened');
      assert.deepEqual(failures, []);
    });

    it('says what recording a run needs: a folder or an absolute output folder', async () => {
      const { failures } = await api();
      const file = path.join(FIXTURES, 'swe-agent', 'swe-agent__test-repo-i1.traj');
      assert.equal(
        await vscode.commands.executeCommand('rolloutStudio.importTrajectory', file, 'swe-agent'),
        undefined,
      );
      assert.match(failures.at(-1)?.message ?? '', /no folder is open: open a folder or set an absolute path/);
    });
  });
}
