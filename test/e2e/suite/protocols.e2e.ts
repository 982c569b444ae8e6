import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { RolloutSummary } from '../../../src/core/agent/rollout';
import { cacheDir } from '../../../src/core/paths';
import { cloneFolderName } from '../../../src/core/task/repoResolver';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import type { TaskSet } from '../../../src/extension/views/tasksTree';
import { ScriptedOpenAIServer, step, type RecordedRequest } from '../../support/scriptedOpenAIServer';
import { api, FIXTURES, PROJECT_ROOT, screenshot, ui, waitFor, workspaceFolder } from './helpers';

const KEY = 'sk-proj-PROTOCOLSe2eKey0123456789abcdefABCDEF';
/** A GitHub name of our own, so that its clone in the repository cache is this test's and no one else's. */
const REPO_NAME = 'rollout-studio-e2e/smolagents-excerpt';

/** Row cab_lenient_18 of the real CodeAssistBench release, on a small local repository placed in the clone cache. */
function cabTaskFile(): { file: string; cleanUp: () => void } {
  const line = readFileSync(path.join(FIXTURES, 'cab', 'cab_verified_lenient.jsonl'), 'utf8')
    .split('\n')
    .find((candidate) => candidate.includes('"task_id": "cab_lenient_18"'));
  assert.ok(line, 'the fixture holds row cab_lenient_18');
  const clone = path.join(cacheDir(), 'repos', cloneFolderName(REPO_NAME));
  rmSync(clone, { recursive: true, force: true });
  mkdirSync(path.join(clone, 'smolagents'), { recursive: true });
  writeFileSync(
    path.join(clone, 'smolagents', 'tools.py'),
    'class ToolCollection:\n    """The MCP server runs only while from_mcp\'s context is open."""\n',
  );
  const git = (...args: string[]) => execFileSync('git', args, { cwd: clone, encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', '.');
  git('-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-q', '-m', 'smolagents excerpt');
  const row = {
    ...(JSON.parse(line) as Record<string, unknown>),
    url: `https://github.com/${REPO_NAME}/issues/1046`,
    commit_id: git('rev-parse', 'HEAD'),
    dockerfile: null,
  };
  const file = path.join(workspaceFolder(), 'cab-e2e.jsonl');
  writeFileSync(file, `${JSON.stringify(row)}\n`);
  return { file, cleanUp: () => rmSync(clone, { recursive: true, force: true }) };
}

async function configure(values: Record<string, unknown>): Promise<void> {
  const config = vscode.workspace.getConfiguration('rolloutStudio');
  for (const [key, value] of Object.entries(values))
    await config.update(key, value, vscode.ConfigurationTarget.Workspace);
}

const userTurns = (request: RecordedRequest) =>
  (JSON.stringify(request.body?.messages).match(/<maintainer>/g) ?? []).length;

/**
 * CodeAssistBench and test-feedback runs from VS Code, in real Docker, with every model on a local OpenAI
 * wire-protocol test double: the protocol is the task's, its messages are marked in playback.
 */
export function protocolTests(): void {
  describe('CodeAssistBench from the palette: a conversation judged by the judge, never graded by tests (real Docker, local OpenAI wire-protocol test doubles)', () => {
    let agent: ScriptedOpenAIServer;
    let user: ScriptedOpenAIServer;
    let judge: ScriptedOpenAIServer;
    let task: { file: string; cleanUp: () => void };

    before(async () => {
      agent = await ScriptedOpenAIServer.start(
        [
          step.toolCall('bash', { command: 'grep -n context smolagents/tools.py' }),
          step.text('Upgrade mcpadapt.'),
          step.text('Call agent.run inside the `with ToolCollection.from_mcp(...)` block: the server stops with it.'),
        ],
        { apiKey: KEY },
      );
      user = await ScriptedOpenAIServer.start(
        Array.from({ length: 4 }, () =>
          step.dynamic((request) =>
            userTurns(request) < 2
              ? step.text('Upgrading did nothing.\n\nSATISFACTION_STATUS: NOT_SATISFIED\nREASON: still broken')
              : step.text('That was it, thanks!\n\nSATISFACTION_STATUS: **FULLY_SATISFIED**\nREASON: works'),
          ),
        ),
      );
      judge = await ScriptedOpenAIServer.start([
        step.text('ALIGNMENT SCORE: 3/3 CONDITIONS MET (100%)\n\nFinal Verdict: **CORRECT**'),
      ]);
      task = cabTaskFile();
      await vscode.commands.executeCommand('rolloutStudio.selectModelEndpoint', agent.baseURL, 'scripted');
      await vscode.commands.executeCommand('rolloutStudio.setApiKey', KEY);
      await configure({
        'cab.userPolicy': `openai:scripted-user@${user.baseURL}`,
        'cab.judgePolicy': `openai:scripted-judge@${judge.baseURL}`,
      });
      const set = (await vscode.commands.executeCommand('rolloutStudio.openTaskSet', task.file)) as TaskSet;
      assert.deepEqual(
        set.tasks.map((candidate) => candidate.kind),
        ['cab'],
      );
      await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    });

    after(async () => {
      await configure({ 'cab.userPolicy': undefined, 'cab.judgePolicy': undefined });
      task.cleanUp();
      await Promise.all([agent.close(), user.close(), judge.close()]);
    });

    it('Run Agent on the CodeAssistBench task: the simulated user replies twice, the judge gives the reward, playback marks the user and shows the verdict', async () => {
      const { runs, panels } = await api();
      const runsBefore = new Set((await runs.getChildren()).map((item) => item.entry.run_id));
      const panelsBefore = new Set(panels);
      await ui('palette', 'Rollout Studio: Run Agent on Task(s)');
      await ui('pick', 'cab_lenient_18');
      const newest = await waitFor(
        'the conversation to be judged',
        async () =>
          (await api()).activeRun() === undefined &&
          (await runs.getChildren()).find((item) => !runsBefore.has(item.entry.run_id)),
        240_000,
      ).catch(async (error: Error) => {
        throw new Error(`${error.message}; last failure: ${JSON.stringify((await api()).failures.at(-1))}`);
      });
      assert.equal(newest.entry.status, 'submitted');
      assert.equal(newest.entry.reward, 1, "the judge's CORRECT");
      const { trajectory } = await readTrajectoryLog(newest.logPath);
      assert.ok(trajectory);
      const report = trajectory.result?.reward?.report as Record<string, unknown>;
      assert.equal(report.protocol, 'cab');
      assert.equal(report.verdict, 'CORRECT');
      assert.equal(report.user_rounds, 2);
      assert.ok(!('tests_status' in report), 'no test grade');
      assert.equal(judge.completionRequests.length, 1);
      assert.equal(user.completionRequests.length, 2);
      for (const request of user.completionRequests)
        assert.doesNotMatch(JSON.stringify(request.body), /TLDR; just indent/, 'the user never sees the thread');
      assert.match(JSON.stringify(judge.completionRequests[0].body), /TLDR; just indent/, 'the judge reads it');
      assert.ok(!readFileSync(newest.logPath, 'utf8').includes(KEY), 'no key in the trajectory');

      const panel = await waitFor('the playback of the run', () =>
        panels.find((candidate) => !panelsBefore.has(candidate) && candidate.logPath === newest.logPath),
      );
      const rendered = await waitFor(
        'the final report',
        () => /Judge verdict: CORRECT/.test(panel.lastRendered?.report ?? '') && panel.lastRendered,
      );
      assert.deepEqual(rendered.speakers, ['Simulated user · after round 1']);
      assert.match(rendered.report, /after 2 user replies · FULLY_SATISFIED/);
      await screenshot('playback-codeassistbench');
    }).timeout(360_000);
  });

  describe('test-feedback rounds from VS Code (real Docker, the task tests, a local OpenAI wire-protocol test double)', () => {
    let agent: ScriptedOpenAIServer;

    before(async () => {
      const paginator = 'pagekit/paginator.py';
      agent = await ScriptedOpenAIServer.start(
        [
          step.toolCall('edit', {
            command: 'str_replace',
            path: paginator,
            old_str: 'return self.count // self.per_page + 1',
            new_str: 'return self.count // self.per_page',
          }),
          step.toolCall('submit', { summary: 'floor division' }),
          step.toolCall('edit', {
            command: 'str_replace',
            path: paginator,
            old_str: 'return self.count // self.per_page\n',
            new_str: 'return -(-self.count // self.per_page)\n',
          }),
          step.toolCall('submit', { summary: 'ceil division' }),
        ],
        { apiKey: KEY },
      );
      await vscode.commands.executeCommand('rolloutStudio.selectModelEndpoint', agent.baseURL, 'scripted');
      await vscode.commands.executeCommand('rolloutStudio.setApiKey', KEY);
      await configure({ 'feedback.rounds': 1 });
    });

    after(async () => {
      await configure({ 'feedback.rounds': undefined });
      await agent.close();
    });

    it('an unresolved submission gets the failing tests and another round; rewards 0 then 1, shown in playback', async () => {
      const set = (await vscode.commands.executeCommand(
        'rolloutStudio.openTaskSet',
        path.join(PROJECT_ROOT, 'tasks', 'examples', 'pagekit__pagekit-14'),
      )) as TaskSet;
      const summaries = (await vscode.commands.executeCommand('rolloutStudio.runAgent', { tasks: set.tasks })) as
        RolloutSummary[] | undefined;
      assert.ok(summaries, `Run Agent failed: ${JSON.stringify((await api()).failures.at(-1))}`);
      const [summary] = summaries;
      assert.equal(summary.protocol, 'swe-feedback');
      assert.deepEqual(
        summary.rounds?.map((round) => round.reward),
        [0, 1],
      );
      const { panels } = await api();
      const panel = await waitFor('the playback of the run', () =>
        panels.find((candidate) => candidate.logPath === summary.path),
      );
      const rendered = await waitFor(
        'the rounds in the report',
        () => /Rounds: 1: 0 · 2: 1 \(resolved\)/.test(panel.lastRendered?.report ?? '') && panel.lastRendered,
      );
      assert.deepEqual(rendered.speakers, ['Test feedback · after round 1']);
    }).timeout(360_000);
  });
}
