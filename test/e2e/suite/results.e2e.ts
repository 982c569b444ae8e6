import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { DEFAULT_AGENT_CONFIG } from '../../../src/core/agent/config';
import type { RolloutSummary } from '../../../src/core/agent/rollout';
import { TrajectoryRecorder } from '../../../src/core/trajectory/recorder';
import type { RunMetadata, RunResult } from '../../../src/core/trajectory/types';
import { askIssueText, type OwnRepositoryOutcome } from '../../../src/extension/commands/ownRepositoryCommand';
import type { ChangedFileDocuments } from '../../../src/extension/commands/resultCommands';
import { TaskFolderSource } from '../../../src/core/task/taskFolderSource';
import type { ShownTestResults } from '../../../src/extension/results/testResults';
import { syntheticTurn } from './fakeRun';
import { ScriptedOpenAIServer, step } from '../../support/scriptedOpenAIServer';
import { api, PROJECT_ROOT, waitFor, workspaceFolder } from './helpers';

const SCRIPTED_MODEL_KEY = 'sk-proj-ownRepoE2eKey0123456789abcdefABCDEF';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', ...args], {
    cwd,
    encoding: 'utf8',
  });

/** A small real repository at its base commit and the patch an agent made to it (fixing `add`, adding a test). */
function calcRepository(root: string): { repo: string; commit: string; patch: string } {
  const repo = path.join(root, 'calc-repo');
  mkdirSync(repo, { recursive: true });
  writeFileSync(path.join(repo, 'calc.py'), 'def add(a, b):\n    return a - b\n');
  git(repo, 'init', '--quiet', '--initial-branch=main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '--quiet', '-m', 'base');
  const commit = git(repo, 'rev-parse', 'HEAD').trim();
  writeFileSync(path.join(repo, 'calc.py'), 'def add(a, b):\n    return a + b\n');
  writeFileSync(
    path.join(repo, 'test_calc.py'),
    'from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n',
  );
  git(repo, 'add', '-A');
  const patch = git(repo, 'diff', '--cached', commit);
  git(repo, 'reset', '--quiet', '--hard', commit);
  return { repo, commit, patch };
}

/** Records a finished run of task `calc-1` on the repository through the real recorder; returns its log path. */
async function recordRun(
  outDir: string,
  runId: string,
  source: { repo: string; commit: string },
  result: Omit<RunResult, 'ended_at'>,
  turns: number,
  run: Partial<RunMetadata> = {},
): Promise<string> {
  const recorder = await TrajectoryRecorder.start(
    outDir,
    {
      run_id: runId,
      task_id: 'calc-1',
      attempt: 0,
      policy: 'synthetic:e2e',
      model: { name: 'none', parameters: {} },
      tools: [],
      tool_versions: {},
      started_at: new Date().toISOString(),
      extra: { repo: { location: source.repo, commit: source.commit } },
      ...run,
    },
    { fsync: false },
  );
  for (let index = 0; index < turns; index++) await recorder.recordTurn(syntheticTurn(index));
  await recorder.finish(result);
  await recorder.close();
  return recorder.path;
}

function graded(patch: string, failToPass: { success: string[]; failure: string[] }) {
  return {
    exit_status: 'submitted' as const,
    patch,
    reward: {
      value: failToPass.failure.length === 0 ? 1 : 0,
      resolved: failToPass.failure.length === 0,
      report: {
        reward_fn: 'binary',
        report: {
          resolved: failToPass.failure.length === 0,
          tests_status: {
            FAIL_TO_PASS: failToPass,
            PASS_TO_PASS: { success: ['test_calc.py::test_sub'], failure: [] },
            FAIL_TO_FAIL: { success: [], failure: [] },
            PASS_TO_FAIL: { success: [], failure: [] },
          },
        },
      },
    },
  };
}

/** A run's results where VS Code users look: Test Results, per-file diffs, Apply Patch, Compare with…, Run Again. */
export function resultTests(): void {
  describe('results: Test Results, per-file changes, apply patch, compare', () => {
    const root = () => path.join(workspaceFolder(), 'results-e2e');
    const outDir = () => path.join(workspaceFolder(), '.rollout', 'runs');
    let source: ReturnType<typeof calcRepository>;
    let solved: string;
    let unsolved: string;

    // Every test of this block reads these two runs: recorded once before any of them, so each runs alone too.
    before(async () => {
      source = calcRepository(root());
      solved = await recordRun(
        outDir(),
        'results-solved',
        source,
        graded(source.patch, { success: ['test_calc.py::test_add'], failure: [] }),
        2,
      );
      unsolved = await recordRun(
        outDir(),
        'results-unsolved',
        source,
        graded('', { success: [], failure: ['test_calc.py::test_add'] }),
        3,
      );
    });

    it("shows a run's FAIL_TO_PASS and PASS_TO_PASS outcome as test items and a TestRun", async () => {
      const { testResults, failures } = await api();
      const shown = (await vscode.commands.executeCommand(
        'rolloutStudio.showTestResults',
        unsolved,
      )) as ShownTestResults;
      assert.ok(shown, `Show Test Results failed: ${JSON.stringify(failures.at(-1))}`);
      assert.deepEqual(
        shown.tests.map((test) => `${test.group} ${test.id} ${test.outcome}`),
        ['FAIL_TO_PASS test_calc.py::test_add failed', 'PASS_TO_PASS test_calc.py::test_sub passed'],
      );
      const item = testResults.controller.items.get('results-unsolved');
      assert.ok(item, 'the run is an item of the Test Results controller');
      const groups: string[] = [];
      item.children.forEach((group) => group.children.forEach((test) => groups.push(`${group.label}: ${test.label}`)));
      assert.deepEqual(groups, ['FAIL_TO_PASS: test_calc.py::test_add', 'PASS_TO_PASS: test_calc.py::test_sub']);
    });

    it("opens the final patch as one diff per file, with the base commit's contents and the run's", async () => {
      const { failures } = await api();
      const documents = (await vscode.commands.executeCommand(
        'rolloutStudio.showChanges',
        solved,
      )) as ChangedFileDocuments[];
      assert.ok(documents, `Show Changes failed: ${JSON.stringify(failures.at(-1))}`);
      const text = async (uri: vscode.Uri) => (await vscode.workspace.openTextDocument(uri)).getText();
      const byPath = new Map(documents.map((file) => [file.path, file]));
      assert.deepEqual([...byPath.keys()], ['calc.py', 'test_calc.py']);
      assert.equal(await text(byPath.get('calc.py')!.before), 'def add(a, b):\n    return a - b\n');
      assert.equal(await text(byPath.get('calc.py')!.after), 'def add(a, b):\n    return a + b\n');
      assert.equal(await text(byPath.get('test_calc.py')!.before), '');
      assert.match(await text(byPath.get('test_calc.py')!.after), /def test_add\(\):/);
    });

    it('applies the patch to a folder with git, and refuses a conflicting one without changing it', async () => {
      const { failures } = await api();
      const clean = path.join(root(), 'clean-clone');
      git(root(), 'clone', '--quiet', source.repo, clean);
      assert.equal(await vscode.commands.executeCommand('rolloutStudio.applyPatch', solved, clean, true), true);
      assert.equal(readFileSync(path.join(clean, 'calc.py'), 'utf8'), 'def add(a, b):\n    return a + b\n');

      const edited = path.join(root(), 'edited-clone');
      git(root(), 'clone', '--quiet', source.repo, edited);
      writeFileSync(path.join(edited, 'calc.py'), 'def add(a, b):\n    return sum((a, b))\n');
      const before = failures.length;
      assert.equal(await vscode.commands.executeCommand('rolloutStudio.applyPatch', solved, edited, true), undefined);
      assert.equal(failures.length, before + 1);
      assert.match(failures.at(-1)!.message, /Apply Patch to Workspace: the patch does not apply .*calc\.py/s);
      assert.equal(readFileSync(path.join(edited, 'calc.py'), 'utf8'), 'def add(a, b):\n    return sum((a, b))\n');
    });

    it('compares two runs of the task side by side, turn by turn', async () => {
      const { failures } = await api();
      const compared = (await vscode.commands.executeCommand('rolloutStudio.compareWith', solved, unsolved)) as {
        left: vscode.Uri;
        right: vscode.Uri;
      };
      assert.ok(compared, `Compare with failed: ${JSON.stringify(failures.at(-1))}`);
      const left = (await vscode.workspace.openTextDocument(compared.left)).getText();
      const right = (await vscode.workspace.openTextDocument(compared.right)).getText();
      assert.match(left, /^run results-solved · task calc-1/);
      assert.match(right, /^run results-unsolved · task calc-1/);
      assert.equal(left.match(/── turn \d+ ──/g)?.length, 2);
      assert.equal(right.match(/── turn \d+ ──/g)?.length, 3);
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      assert.ok(tab?.input instanceof vscode.TabInputTextDiff, 'the two runs are open in the diff editor');
    });

    it('runs the agent on the open folder at HEAD, a task graded by its own tests (PASS_TO_PASS is what passes now), in real Docker against a local OpenAI wire-protocol test double: the run is recorded, its FAIL_TO_PASS passes in Test Results, and the task is saved as a task folder', async function () {
      this.timeout(600_000);
      const { failures, runs, testResults } = await api();
      const folder = workspaceFolder();
      // The workspace as a small Python repository with its own tests, one of them failing at HEAD.
      writeFileSync(
        path.join(folder, 'calc.py'),
        'def add(a, b):\n    return a - b\n\ndef sub(a, b):\n    return a - b\n',
      );
      writeFileSync(
        path.join(folder, 'test_calc.py'),
        'from calc import add, sub\n\ndef test_add():\n    assert add(1, 2) == 3\n\ndef test_sub():\n    assert sub(3, 2) == 1\n',
      );
      git(folder, 'init', '--quiet');
      git(folder, 'add', 'calc.py', 'test_calc.py');
      git(folder, 'commit', '--quiet', '-m', 'base');
      // A model whose answers fix add() and submit: one short run.
      const server = await ScriptedOpenAIServer.start(
        [
          step.toolCall('edit', {
            command: 'str_replace',
            path: 'calc.py',
            old_str: 'def add(a, b):\n    return a - b',
            new_str: 'def add(a, b):\n    return a + b',
          }),
          step.toolCall('submit', { summary: 'add() adds' }),
        ],
        { apiKey: SCRIPTED_MODEL_KEY },
      );
      const saveTo = path.join(root(), 'saved-task');
      let outcome: OwnRepositoryOutcome;
      try {
        await vscode.commands.executeCommand('rolloutStudio.selectModelEndpoint', server.baseURL, 'scripted');
        await vscode.commands.executeCommand('rolloutStudio.setApiKey', SCRIPTED_MODEL_KEY);
        outcome = (await vscode.commands.executeCommand('rolloutStudio.runOnThisRepository', {
          issue: 'add() subtracts instead of adding',
          failToPass: ['test_calc.py::test_add'],
          saveTo,
        })) as OwnRepositoryOutcome;
      } finally {
        await server.close();
      }
      assert.ok(outcome, `Run Agent on This Repository failed: ${JSON.stringify(failures.at(-1))}`);
      assert.equal(outcome.task.repo.commit, git(folder, 'rev-parse', 'HEAD').trim());
      assert.deepEqual(outcome.task.failToPass, ['test_calc.py::test_add']);
      assert.deepEqual(outcome.task.passToPass, ['test_calc.py::test_sub']);
      const loaded = await new TaskFolderSource().load(saveTo);
      assert.deepEqual(loaded.errors, []);
      assert.deepEqual(loaded.tasks[0].passToPass, ['test_calc.py::test_sub']);
      assert.equal(readFileSync(path.join(saveTo, 'repo', 'test_calc.py'), 'utf8').includes('def test_sub'), true);

      assert.equal(outcome.summaries?.length, 1, `no run: ${JSON.stringify(failures.at(-1))}`);
      const [summary] = outcome.summaries;
      assert.equal(summary.exitStatus, 'submitted', summary.reason);
      assert.equal(summary.reward, 1, "graded by the repository's own tests, test_add passes with the fix");
      assert.equal(server.completionRequests.length, 2);
      const trajectory = readFileSync(summary.path, 'utf8');
      assert.ok(trajectory.includes('return a + b'), 'the recorded patch holds the fix');
      assert.ok(!trajectory.includes(SCRIPTED_MODEL_KEY), 'the API key is not recorded');
      await waitFor('the run in the Runs view', async () =>
        (await runs.getChildren()).some((item) => item.entry.run_id === summary.runId),
      );
      const shown = (await vscode.commands.executeCommand('rolloutStudio.showTestResults', summary.path)) as
        ShownTestResults | undefined;
      assert.ok(shown, `Show Test Results failed: ${JSON.stringify(failures.at(-1))}`);
      assert.deepEqual(
        shown.tests.map((test) => `${test.group} ${test.id} ${test.outcome}`),
        ['FAIL_TO_PASS test_calc.py::test_add passed', 'PASS_TO_PASS test_calc.py::test_sub passed'],
      );
      assert.ok(testResults.controller.items.get(summary.runId), 'the run is an item of the Test Results controller');
    });

    it('Run Agent on This Repository takes a multi-line issue (a pasted GitHub issue) from an untitled Markdown editor', async () => {
      const issue = '## add() subtracts\n\nSteps to reproduce:\n\n```python\nadd(1, 2)  # gives -1\n```\n';
      await vscode.commands.executeCommand('notifications.clearAll');
      let taken: string | undefined | null = null;
      void askIssueText(workspaceFolder()).then((text) => (taken = text));
      const editor = await waitFor('the issue editor', () => {
        const active = vscode.window.activeTextEditor;
        return active?.document.isUntitled && active.document.languageId === 'markdown' && active;
      });
      await editor.edit((edit) => edit.insert(new vscode.Position(0, 0), issue));
      // The notification's button, pressed as the keyboard does (it may show a moment after the editor).
      await waitFor('the issue taken', async () => {
        await vscode.commands.executeCommand('notification.acceptPrimaryAction');
        return taken !== null;
      });
      assert.equal(taken, issue.trim(), 'every line of the issue, as pasted');
      await waitFor('the issue editor closed unsaved', () => editor.document.isClosed);
    });

    it('Run Again names the task set to open when the task is in none', async () => {
      const { failures } = await api();
      assert.equal(await vscode.commands.executeCommand('rolloutStudio.runAgain', solved), undefined);
      assert.match(failures.at(-1)!.message, /Run Again: task calc-1 is in no open task set/);
    });

    it("Run Again reuses the limits the run was given and asks first when the settings' budget differs", async () => {
      const { failures, activeRun } = await api();
      await vscode.commands.executeCommand('rolloutStudio.openTaskSet', path.join(PROJECT_ROOT, 'tasks', 'examples'));
      const taskId = 'bytesize__bytesize-22';
      // As the recorder writes a run's limits: every one it was given, JSON's null for no cost limit.
      const agentConfig = { ...DEFAULT_AGENT_CONFIG, maxTurns: 7, maxCostUsd: null, commandTimeoutMs: 30_000 };
      const log = await recordRun(
        outDir(),
        'results-run-again',
        { repo: root(), commit: 'none' },
        graded('', { success: [], failure: ['t'] }),
        1,
        {
          task_id: taskId,
          extra: { agent_config: agentConfig },
        },
      );
      const before = failures.length;
      assert.equal(await vscode.commands.executeCommand('rolloutStudio.runAgain', log), undefined);
      assert.equal(failures.length, before + 1);
      // VS Code's test host refuses modal dialogs and names what they would have asked.
      const asked = failures.at(-1)!.message;
      assert.match(asked, /refused to show dialog in tests\. Contents: /);
      assert.match(
        asked,
        new RegExp(`Run ${taskId} again with \\S+ and the limits run results-run-again was given \\(`),
      );
      assert.ok(
        asked.includes(
          '(7 turns, 2,000,000 tokens, no cost limit, 30 minutes, 3 unusable replies in a row, 30 s per command, sliding-window compaction)?',
        ),
        asked,
      );
      assert.ok(asked.includes('The settings now give 30 turns, $5.00; the run had 7 turns, no cost limit.'), asked);
      assert.equal(activeRun(), undefined, 'nothing runs unanswered');
    });

    it("Run Again reruns with the model the run used while its endpoint's key is stored, without asking, and says so (real Docker, a local OpenAI wire-protocol test double)", async function () {
      this.timeout(600_000);
      const { failures } = await api();
      const server = await ScriptedOpenAIServer.start([step.toolCall('submit', { summary: 'no change' })], {
        apiKey: SCRIPTED_MODEL_KEY,
      });
      try {
        // The run's endpoint keeps its stored key; the model settings have moved to another endpoint since.
        await vscode.commands.executeCommand('rolloutStudio.selectModelEndpoint', server.baseURL, 'scripted');
        await vscode.commands.executeCommand('rolloutStudio.setApiKey', SCRIPTED_MODEL_KEY);
        await vscode.commands.executeCommand('rolloutStudio.selectModelEndpoint', 'http://127.0.0.1:9/v1', 'elsewhere');
        const runPolicy = `openai:scripted@${server.baseURL}`;
        const log = await recordRun(
          outDir(),
          'results-run-again-model',
          { repo: root(), commit: 'none' },
          graded('', { success: [], failure: ['t'] }),
          1,
          // The settings' budget as the run's limits: only the model differs.
          { task_id: 'bytesize__bytesize-22', policy: runPolicy, extra: { agent_config: DEFAULT_AGENT_CONFIG } },
        );
        const summaries = (await vscode.commands.executeCommand('rolloutStudio.runAgain', log)) as
          RolloutSummary[] | undefined;
        assert.ok(summaries, `Run Again failed: ${JSON.stringify(failures.at(-1))}`);
        assert.equal(server.completionRequests.length, 1, "the run's model answered");
        const rerun = readFileSync(summaries[0].path, 'utf8');
        assert.ok(rerun.includes(JSON.stringify(runPolicy)), "the rerun records the run's policy");
        assert.ok(!rerun.includes(SCRIPTED_MODEL_KEY), 'the API key is not recorded');
      } finally {
        await server.close();
      }
    });
  });
}

/** In an untrusted workspace Apply Patch to Workspace refuses before it reads anything. */
export function resultUntrustedTests(): void {
  it('results: refuses to apply a run’s patch to the workspace', async () => {
    const { failures } = await api();
    await vscode.commands.executeCommand('rolloutStudio.applyPatch', '/nonexistent/trajectory.jsonl', '/tmp', true);
    assert.equal(failures.at(-1)?.command, 'rolloutStudio.applyPatch');
    assert.equal(failures.at(-1)?.untrusted, true);
  });
}
