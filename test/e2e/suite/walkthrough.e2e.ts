import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { TaskValidation } from '../../../src/core/reward/validateTasks';
import { api, EXTENSION_ID, PROJECT_ROOT, screenshot, ui } from './helpers';

const STEP = (id: string) => `button.getting-started-step[data-step-id$="${id}"]`;

/** A newcomer's first minutes: the Get Started walkthrough, and the CLI's capabilities in the palette. */
export function walkthroughTests(): void {
  describe('Get Started walkthrough', () => {
    it('shows its steps, and its Build Sandbox Images button runs the command, which completes the step', async () => {
      const { failures } = await api();
      await vscode.commands.executeCommand(
        'workbench.action.openWalkthrough',
        `${EXTENSION_ID}#rolloutStudio.gettingStarted`,
        false,
      );
      for (const step of ['checkDocker', 'buildImages', 'openTasks', 'runAgent', 'watchRun', 'exportDataset'])
        await ui('waitFor', STEP(step));
      await ui('waitFor', `${STEP('buildImages')}[aria-checked="false"]`);
      await ui('click', STEP('buildImages'));
      await ui('click', `[x-step-description-for$="buildImages"] .monaco-button`);
      // Checked only by the command's own completion events (onCommand, or the images-ready context key).
      await ui('waitFor', `${STEP('buildImages')}[aria-checked="true"]`);
      await screenshot('walkthrough');
      assert.deepEqual(failures, []);
    });

    it('Open Example Tasks puts the bundled tasks in the Tasks view', async () => {
      const { tasks, failures } = await api();
      await vscode.commands.executeCommand('rolloutStudio.openExampleTasks');
      const examples = tasks.taskSets.find((set) => set.path === path.join(PROJECT_ROOT, 'tasks', 'examples'));
      assert.ok(examples, `task sets: ${tasks.taskSets.map((set) => set.path).join(', ')}`);
      assert.equal(examples.tasks.length, 10);
      assert.deepEqual(failures, []);
    });
  });

  describe('CLI capabilities in the palette', () => {
    it('Validate Tasks… checks a bundled task in real Docker: the gold patch resolves it, an empty patch does not', async () => {
      const { failures } = await api();
      const task = path.join(PROJECT_ROOT, 'tasks', 'examples', 'bytesize__bytesize-22');
      const validations = (await vscode.commands.executeCommand(
        'rolloutStudio.validateTasks',
        task,
      )) as TaskValidation[];
      assert.deepEqual(failures, []);
      assert.equal(validations.length, 1);
      assert.equal(validations[0].gold.status, 'resolved');
      assert.equal(validations[0].empty.status, 'unresolved');
      assert.equal(validations[0].ok, true, validations[0].problems.join('; '));
    });

    it('Select Policy… sets any policy kind: recorded actions, then an Anthropic model', async () => {
      const { failures } = await api();
      const recording = path.join(PROJECT_ROOT, 'tasks', 'examples', 'bytesize__bytesize-22', 'reference', 'solved');
      const recordedPath = path.join(recording, 'trajectory.jsonl');
      await vscode.commands.executeCommand('rolloutStudio.selectPolicy', { provider: 'recorded', recordedPath });
      const config = () => vscode.workspace.getConfiguration('rolloutStudio');
      assert.equal(config().get('model.provider'), 'recorded');
      assert.equal(config().get('model.recordedPath'), recordedPath);
      await vscode.commands.executeCommand('rolloutStudio.selectPolicy', {
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        endpoint: '',
      });
      assert.equal(config().get('model.provider'), 'anthropic');
      assert.equal(config().get('model.name'), 'claude-sonnet-4-5');
      await vscode.commands.executeCommand('rolloutStudio.selectCabPolicies', {
        userPolicy: 'openai:gpt-4o-mini@http://127.0.0.1:9/v1',
        judgePolicy: '',
      });
      assert.equal(config().get('cab.userPolicy'), 'openai:gpt-4o-mini@http://127.0.0.1:9/v1');
      assert.deepEqual(failures, []);
      await vscode.commands.executeCommand('rolloutStudio.selectCabPolicies', { judgePolicy: 'gpt-4o' });
      // A spec the protocols cannot read is refused by name (the same array, read again past the narrowing).
      const { failures: afterwards } = await api();
      assert.match(
        afterwards.at(-1)?.message ?? '',
        /rolloutStudio\.cab\.judgePolicy: policy "gpt-4o": no backend given/,
      );
    });
  });
}
