import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { LogGrade } from '../../../src/core/reward/gradeTask';
import type { TaskItem, TaskSet } from '../../../src/extension/views/tasksTree';
import { api, FIXTURES, screenshotInThemes } from './helpers';

export function taskTests(): void {
  describe('task sets', () => {
    it('opens the real SWE-bench Lite sample into the Tasks view', async () => {
      const file = path.join(FIXTURES, 'swe-bench', 'swe-bench-lite-sample.json');
      const set = (await vscode.commands.executeCommand('rolloutStudio.openTaskSet', vscode.Uri.file(file))) as TaskSet;
      assert.ok(set.tasks.length > 0);
      assert.ok(set.tasks.every((task) => task.kind === 'swe-bench'));
      const { tasks } = await api();
      const roots = tasks.getChildren();
      assert.ok(roots.some((root) => root.tooltip === file));
      const items = tasks.getChildren(roots.find((root) => root.tooltip === file));
      assert.equal(items.length, set.tasks.length);
      assert.equal(items[0].description, 'not run');
    });

    it('opens the real CodeAssistBench file into the Tasks view', async () => {
      const file = path.join(FIXTURES, 'cab', 'cab_verified_lenient.jsonl');
      const set = (await vscode.commands.executeCommand('rolloutStudio.openTaskSet', file)) as TaskSet;
      assert.ok(set.tasks.length > 0);
      assert.ok(set.tasks.every((task) => task.kind === 'cab' && task.cab !== undefined));
      const { tasks } = await api();
      assert.ok(tasks.taskSets.some((loaded) => loaded.path === file));
      await vscode.commands.executeCommand('workbench.view.extension.rolloutStudio');
      await screenshotInThemes('tasks-view');
    });

    it('grades a test log as the SWE-bench harness does, by the function behind `rollout grade`', async () => {
      const corpus = path.join(FIXTURES, 'grading-parity');
      const cases = JSON.parse(readFileSync(path.join(corpus, 'cases.json'), 'utf8')) as {
        id: string;
        instance_id: string;
        log: string;
      }[];
      const harness = JSON.parse(readFileSync(path.join(corpus, 'harness-outputs.json'), 'utf8')) as {
        harness: { '5': { results: { case: string; resolution: string | null }[] } };
      };
      for (const id of ['pytest-host.ids-cut-at-space', 'django-runner', 'go-test-v.gotest.panic']) {
        const entry = cases.find((candidate) => candidate.id === id);
        assert.ok(entry, id);
        const grade = (await vscode.commands.executeCommand('rolloutStudio.gradeTestLog', {
          tasks: path.join(corpus, 'tasks.jsonl'),
          instance: entry.instance_id,
          log: path.join(corpus, entry.log),
        })) as LogGrade;
        const expected = harness.harness['5'].results.find((result) => result.case === id);
        assert.equal(grade.resolution, expected?.resolution, id);
      }
    });

    it('clicking a task opens its details: repository, problem statement, tests', async () => {
      const { tasks } = await api();
      // The items are the extension bundle's own classes: found by their fields, not `instanceof`.
      const root = tasks.getChildren().find((candidate) => candidate.tooltip?.toString().endsWith('sample.json'))!;
      const [item] = tasks.getChildren(root);
      assert.equal(item.command?.command, 'rolloutStudio.showTask');
      const editor = (await vscode.commands.executeCommand(
        item.command.command,
        ...(item.command.arguments ?? []),
      )) as vscode.TextEditor;
      assert.equal(editor.document.languageId, 'markdown');
      const text = editor.document.getText();
      assert.match(text, new RegExp(`^# ${(item as TaskItem).task.id}\n`));
      assert.ok(text.includes((item as TaskItem).task.problemStatement.slice(0, 200)));
      assert.match(text, /## Tests that must pass \(FAIL_TO_PASS\): \d+/);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    // That the saved list opens again in a reloaded window: reload.e2e.ts, with a real reload.
    it('closes a task set on request and leaves it out of the list kept for the next window', async () => {
      const { tasks } = await api();
      const open = tasks.taskSets.map((set) => set.path);
      assert.deepEqual([...tasks.savedPaths].sort(), [...open].sort());
      const cab = tasks.getChildren().find((root) => root.tooltip?.toString().endsWith('.jsonl'))!;
      assert.equal(await vscode.commands.executeCommand('rolloutStudio.removeTaskSet', cab), true);
      assert.ok(!tasks.taskSets.some((set) => set.path === cab.tooltip));
      assert.ok(!tasks.savedPaths.includes(String(cab.tooltip)));
    });

    it('reports a task file that does not exist by its path, without throwing at the user', async () => {
      const missing = path.join(FIXTURES, 'no-such-tasks.jsonl');
      const { failures } = await api();
      const before = failures.length;
      assert.equal(await vscode.commands.executeCommand('rolloutStudio.openTaskSet', missing), undefined);
      assert.equal(failures.length, before + 1);
      assert.match(failures[before].message, /no-such-tasks\.jsonl: no such file or folder/);
    });
  });
}
