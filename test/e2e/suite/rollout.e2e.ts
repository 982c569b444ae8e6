import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { DEFAULT_AGENT_CONFIG } from '../../../src/core/agent/config';
import { OPENAI_DEFAULT_BASE_URL } from '../../../src/core/agent/policies/openaiPolicy';
import type { RolloutSummary } from '../../../src/core/agent/rollout';
import type { ExportSummary } from '../../../src/core/export/exporter';
import type { DoctorCheck } from '../../../src/core/sandbox/doctor';
import { runToCompletion } from '../../../src/core/train/jobs';
import { SCORE_FILE, type VerifierSelection } from '../../../src/core/train/select';
import { ensureVenv } from '../../../src/core/train/venv';
import { VenvRunner } from '../../../src/core/train/venvRunner';
import type { ServedModel } from '../../../src/extension/commands/context';
import { MODEL_CHECK } from '../../../src/extension/commands/doctorFixes';
import type { TaskSet } from '../../../src/extension/views/tasksTree';
import { startLocalSshd } from '../../support/localSshd';
import { recordRuns } from '../../support/recordedRuns';
import { ScriptedOpenAIServer, step, type ScriptStep } from '../../support/scriptedOpenAIServer';
import { ScriptedResponsesServer } from '../../support/scriptedResponsesServer';
import { api, PROJECT_ROOT, screenshot, screenshotInThemes, ui, waitFor, workspaceFolder } from './helpers';

const TASK_FOLDER = path.join(PROJECT_ROOT, 'tasks', 'examples', 'pagekit__pagekit-14');
const PLANTED_KEY = 'sk-proj-PLANTEDe2eKey0123456789abcdefABCDEF';
// What Serve Fine-tune's Use as Agent Model sets.
const SERVED_MODEL_SETTINGS = ['model.provider', 'model.endpoint', 'model.name'];

/** What a model that fixes pagekit's page count says, step by step; `delayMs` lets a person (and a screenshot) watch it live. */
function solvingSteps(delayMs = 0): ScriptStep[] {
  return [
    step.toolCall('view', { path: 'pagekit/paginator.py', start_line: 40, end_line: 52 }, { delayMs }),
    step.toolCall(
      'edit',
      {
        command: 'str_replace',
        path: 'pagekit/paginator.py',
        old_str: 'return self.count // self.per_page + 1',
        new_str: 'return -(-self.count // self.per_page)',
      },
      { delayMs },
    ),
    step.toolCall(
      'bash',
      {
        command:
          'python3 -c "from pagekit import Paginator; print(Paginator(list(range(20)), per_page=10).page_count)"',
      },
      { delayMs },
    ),
    step.toolCall('submit', { summary: 'ceil division for page_count' }, { delayMs }),
  ];
}

/** The name of the doctor's check of the Docker engine. */
const ENGINE_CHECK = 'docker engine';

/** One check of Run Doctor, run now. */
async function doctorCheck(name: string): Promise<DoctorCheck | undefined> {
  const checks = (await vscode.commands.executeCommand('rolloutStudio.runDoctor')) as DoctorCheck[];
  return checks.find((check) => check.name === name);
}

/** `rolloutStudio.docker.host` as the user's settings hold it: a machine setting lives there, not in the folder's. */
function dockerHostSetting(): string | undefined {
  return vscode.workspace.getConfiguration('rolloutStudio.docker').inspect<string>('host')?.globalValue;
}

function setDockerHost(host: string | undefined): Thenable<void> {
  return vscode.workspace
    .getConfiguration('rolloutStudio.docker')
    .update('host', host, vscode.ConfigurationTarget.Global);
}

async function useScriptedModel(server: ScriptedOpenAIServer): Promise<void> {
  await vscode.commands.executeCommand('rolloutStudio.selectModelEndpoint', server.baseURL, 'scripted');
  await vscode.commands.executeCommand('rolloutStudio.setApiKey', PLANTED_KEY);
}

/**
 * The agent on a bundled task, in a real Docker container, against a local OpenAI wire-protocol test double
 * (the only stand-in: a paid model API). Needs the Docker engine and the python image (`rollout images build python`).
 */
export function rolloutTests(): void {
  describe('run the agent in a real Docker container against a local OpenAI wire-protocol test double', () => {
    let set: TaskSet;
    let summary: RolloutSummary;

    before(async () => {
      set = (await vscode.commands.executeCommand('rolloutStudio.openTaskSet', TASK_FOLDER)) as TaskSet;
      assert.equal(set.tasks.length, 1);
    });

    it('runs a rollout, grades it, and shows it in the Runs view with its reward and in live playback', async () => {
      const mapFirst = [step.toolCall('code_map', { path: 'pagekit/paginator.py' }), ...solvingSteps()];
      const server = await ScriptedOpenAIServer.start(mapFirst, { apiKey: PLANTED_KEY });
      try {
        await useScriptedModel(server);
        const summaries = (await vscode.commands.executeCommand('rolloutStudio.runAgent', { tasks: set.tasks })) as
          RolloutSummary[] | undefined;
        const { failures, runs, panels } = await api();
        assert.ok(summaries, `Run Agent failed: ${JSON.stringify(failures.at(-1))}`);
        [summary] = summaries;
        assert.equal(summary.exitStatus, 'submitted', summary.reason);
        assert.equal(summary.reward, 1);
        assert.equal(server.completionRequests.length, 5);
        const item = await waitFor('the run in the Runs view', async () =>
          (await runs.getChildren()).find((candidate) => candidate.entry.run_id === summary.runId),
        );
        assert.equal(item.entry.reward, 1);
        assert.match(String(item.description), /reward 1 · submitted · 5 turns · attempt 1 · /);
        const panel = await waitFor('the live playback of the run', () =>
          panels.find((candidate) => candidate.logPath === summary.path),
        );
        await waitFor(
          'playback to show the finished run',
          () => panel.lastRendered?.turnCount === 5 && panel.lastRendered,
        );
      } finally {
        await server.close();
      }
    });

    it("maps the task's code with the extension's own tree-sitter (web-tree-sitter and its grammars, as installed)", () => {
      const observations = readFileSync(summary.path, 'utf8')
        .trim()
        .split('\n')
        .map(
          (line) => JSON.parse(line) as { type: string; turn?: { observations: { tool: string; output: string }[] } },
        )
        .flatMap((record) => (record.type === 'turn' ? record.turn!.observations : []));
      const codeMap = observations.find((observation) => observation.tool === 'code_map');
      assert.ok(codeMap, 'the first turn called code_map');
      assert.match(codeMap.output, /class Paginator {2}L\d+-\d+/);
      assert.match(codeMap.output, /page_count {2}L\d+-\d+/);
    });

    it('keeps the API key out of the recorded trajectory', () => {
      const raw = readFileSync(summary.path, 'utf8');
      assert.ok(!raw.includes(PLANTED_KEY));
    });

    it('shows the latest run and reward of each task in the Tasks view', async () => {
      const { tasks } = await api();
      const root = tasks.getChildren().find((candidate) => candidate.tooltip === TASK_FOLDER)!;
      const [item] = tasks.getChildren(root);
      assert.match(String(item.description), /^reward 1 · submitted/);
    });

    it('exports the run as an SFT dataset', async () => {
      const out = path.join(workspaceFolder(), 'datasets', 'rollout-sft');
      const exported = (await vscode.commands.executeCommand('rolloutStudio.exportDataset', {
        format: 'sft',
        out,
        runs: [summary.path],
      })) as ExportSummary;
      const rows = readFileSync(path.join(out, exported.files[0]), 'utf8').trim().split('\n');
      assert.equal(rows.length, 1);
      assert.ok(!rows[0].includes(PLANTED_KEY));
    });

    it('fine-tunes a LoRA adapter on the exported run with the real trainer (CPU venv, tiny local model)', async () => {
      const runner = new VenvRunner(await ensureVenv('cpu', (line) => console.log(`    [venv] ${line}`)));
      const modelDir = path.join(workspaceFolder(), 'tiny-model');
      const { outputs } = await runToCompletion(runner, {
        command: 'tiny-model',
        args: ['--out', modelDir],
        paths: [modelDir],
      });
      const out = path.join(workspaceFolder(), 'finetunes', 'sft');
      const data = path.join(workspaceFolder(), 'datasets', 'rollout-sft', 'train.jsonl');
      const result = (await vscode.commands.executeCommand('rolloutStudio.fineTune', {
        method: 'sft',
        data,
        baseModel: outputs.model as string,
        out,
        device: 'cpu',
        maxSteps: 2,
        batchSize: 1,
      })) as Record<string, unknown> | undefined;
      assert.ok(result, `Fine-tune failed: ${JSON.stringify((await api()).failures.at(-1))}`);
      assert.equal(result.steps, 2);
      assert.ok(existsSync(String(result.adapter)), `the adapter ${String(result.adapter)} was written`);
    }).timeout(600_000);

    it('Serve Fine-tune serves the adapter over the OpenAI API as the agent model; Stop Serving stops it', async () => {
      const settings = () => vscode.workspace.getConfiguration('rolloutStudio');
      const before = SERVED_MODEL_SETTINGS.map((key) => settings().inspect(key)?.workspaceValue);
      const served = (await vscode.commands.executeCommand('rolloutStudio.serveFineTune', {
        model: path.join(workspaceFolder(), 'finetunes', 'sft'),
        useAsModel: true,
      })) as ServedModel | undefined;
      try {
        assert.ok(served, `Serve Fine-tune failed: ${JSON.stringify((await api()).failures.at(-1))}`);
        const listed = (await (await fetch(`${served.url}/models`)).json()) as { data: { id: string }[] };
        assert.ok(
          listed.data.some((model) => model.id === served.model),
          JSON.stringify(listed),
        );
        const reply = await fetch(`${served.url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: served.model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
        });
        assert.equal(reply.status, 200, await reply.clone().text());
        assert.deepEqual(
          SERVED_MODEL_SETTINGS.map((key) => settings().get(key)),
          ['openai-compatible', served.url, served.model],
          'the agent model is the served one',
        );
        assert.equal(await vscode.commands.executeCommand('rolloutStudio.stopServing'), true);
        await assert.rejects(fetch(`${served.url}/models`), 'the server is gone');
        assert.equal(await vscode.commands.executeCommand('rolloutStudio.stopServing'), false, 'nothing left to stop');
      } finally {
        await vscode.commands.executeCommand('rolloutStudio.stopServing');
        for (const [index, key] of SERVED_MODEL_SETTINGS.entries())
          await settings().update(key, before[index], vscode.ConfigurationTarget.Workspace);
      }
    }).timeout(300_000);

    it('Train Verifier on recorded runs, then Select Best Attempts: per task the best-scored, each score kept', async () => {
      const runs = path.join(workspaceFolder(), 'verifier-runs');
      await recordRuns(runs);
      const out = path.join(workspaceFolder(), 'verifier');
      const trained = await vscode.commands.executeCommand('rolloutStudio.trainVerifier', { runs: [runs], out });
      assert.ok(trained, `Train Verifier failed: ${JSON.stringify((await api()).failures.at(-1))}`);
      assert.ok(existsSync(path.join(out, 'verifier.onnx')));
      const selection = (await vscode.commands.executeCommand('rolloutStudio.selectBestAttempts', {
        runs: [runs],
        verifier: out,
      })) as VerifierSelection | undefined;
      assert.ok(selection, `Select Best Attempts failed: ${JSON.stringify((await api()).failures.at(-1))}`);
      assert.equal(selection.selections.length, 10, 'one choice per recorded task');
      for (const { taskId, chosen, attempts } of selection.selections) {
        const kept = attempts.map(
          (attempt) => JSON.parse(readFileSync(path.join(path.dirname(attempt.path), SCORE_FILE), 'utf8')).score,
        );
        assert.equal(kept.length, 4, taskId);
        assert.equal(chosen.score, Math.max(...kept), `${taskId}: the chosen attempt has the best kept score`);
      }
    }).timeout(300_000);

    it('Stop Run ends a running rollout as cancelled, unscored; Resume Run takes it on to a graded end', async () => {
      // Only the first answer is slow: Stop Run comes while it is awaited; the resumed run gets the rest at once.
      const slow = await ScriptedOpenAIServer.start([solvingSteps(4000)[0], ...solvingSteps().slice(1)], {
        apiKey: PLANTED_KEY,
      });
      try {
        await useScriptedModel(slow);
        const running = vscode.commands.executeCommand('rolloutStudio.runAgent', {
          tasks: set.tasks,
          follow: false,
        }) as Thenable<RolloutSummary[] | undefined>;
        await waitFor('the first model request', () => slow.completionRequests.length > 0, 90_000);
        assert.equal(await vscode.commands.executeCommand('rolloutStudio.stopRun'), true);
        const summaries = await running;
        assert.ok(summaries, `Run Agent failed: ${JSON.stringify((await api()).failures.at(-1))}`);
        const [cancelled] = summaries;
        assert.equal(cancelled.exitStatus, 'cancelled');
        assert.equal(cancelled.reward, null, 'a cancelled run is not scored');
        assert.equal((await api()).activeRun(), undefined);

        const { runs } = await api();
        const item = await waitFor('the cancelled run in the Runs view', async () =>
          (await runs.getChildren()).find(
            (candidate) => candidate.entry.run_id === cancelled.runId && candidate.entry.status === 'cancelled',
          ),
        );
        assert.equal(item.contextValue, 'run.finished.cancelled', 'its context menu offers Resume Run');
        const resumed = (await vscode.commands.executeCommand('rolloutStudio.resumeRun', item)) as
          RolloutSummary[] | undefined;
        assert.ok(resumed, `Resume Run failed: ${JSON.stringify((await api()).failures.at(-1))}`);
        assert.deepEqual(
          [resumed[0].runId, resumed[0].exitStatus, resumed[0].reward],
          [cancelled.runId, 'submitted', 1],
          resumed[0].reason,
        );
        assert.equal(slow.completionRequests.length, 4, 'the resumed run asked only for what it had not been given');
        const events = readFileSync(cancelled.path, 'utf8')
          .trim()
          .split('\n')
          .map(
            (line) => JSON.parse(line) as { type: string; event?: { kind: string; data?: { cancelled?: unknown } } },
          );
        const resumedEvent = events.find((line) => line.type === 'event' && line.event?.kind === 'resumed');
        assert.ok(resumedEvent?.event?.data?.cancelled, 'the resumed event keeps the cancel');
        assert.equal(await vscode.commands.executeCommand('rolloutStudio.resumeRun', cancelled.path), undefined);
        assert.match(
          (await api()).failures.at(-1)?.message ?? '',
          /^Resume Run: run .* finished \(submitted\): only a cancelled or unfinished run goes on/,
        );
      } finally {
        await slow.close();
      }
    }).timeout(240_000);

    it('re-executes the run in a fresh container with every observation and diff the same', async () => {
      const report = (await vscode.commands.executeCommand('rolloutStudio.reexecuteTrajectory', summary.path)) as
        { toolCalls: number; differences: unknown[] } | undefined;
      assert.ok(report, `Re-execution failed: ${JSON.stringify((await api()).failures.at(-1))}`);
      assert.equal(report.toolCalls, 5, 'every call, the code map too');
      assert.deepEqual(report.differences, []);
    });

    it("runs on OpenAI's Responses API (provider openai-responses), its encrypted reasoning going back each turn", async () => {
      const thinking = solvingSteps().map((scripted, index) => ({ ...scripted, reasoning: `Step ${index + 1}.` }));
      const server = await ScriptedResponsesServer.start(thinking, {
        apiKey: PLANTED_KEY,
        model: 'gpt-5-codex',
        reasoningModel: true,
      });
      try {
        const choice = { provider: 'openai-responses', model: 'gpt-5-codex', endpoint: server.baseURL };
        await vscode.commands.executeCommand('rolloutStudio.selectPolicy', choice);
        await vscode.commands.executeCommand('rolloutStudio.setApiKey', PLANTED_KEY);
        const summaries = (await vscode.commands.executeCommand('rolloutStudio.runAgent', {
          tasks: set.tasks,
          follow: false,
        })) as RolloutSummary[] | undefined;
        assert.ok(summaries, `Run Agent failed: ${JSON.stringify((await api()).failures.at(-1))}`);
        assert.equal(summaries[0].exitStatus, 'submitted', summaries[0].reason);
        assert.equal(summaries[0].reward, 1);
        assert.equal(server.responseRequests.length, 4, 'no request was refused');
        const lastInput = server.responseRequests[3].body?.input as { type?: string }[];
        assert.equal(lastInput.filter((item) => item.type === 'reasoning').length, 3);
        assert.ok(!readFileSync(summaries[0].path, 'utf8').includes(PLANTED_KEY));
      } finally {
        await vscode.commands.executeCommand('rolloutStudio.selectPolicy', { provider: 'openai-compatible' });
        await server.close();
      }
    }).timeout(180_000);

    it('the Docker host setting: the doctor checks the engine it names, and once cleared the one VS Code had', async () => {
      const before = dockerHostSetting();
      const started = await doctorCheck(ENGINE_CHECK);
      assert.equal(started?.ok, true, JSON.stringify(started));
      try {
        await setDockerHost('unix:///tmp/rollout-e2e-no-engine.sock');
        const named = await doctorCheck(ENGINE_CHECK);
        assert.equal(named?.ok, false, JSON.stringify(named));
        assert.match(named.detail, /rollout-e2e-no-engine\.sock/);
        await setDockerHost(undefined);
        assert.deepEqual(await doctorCheck(ENGINE_CHECK), started, 'the engine VS Code was started with, again');
      } finally {
        await setDockerHost(before);
      }
    });

    it("the Docker host setting ssh://USER@HOST: the engine answers through the VSIX's ssh2 (Debian's OpenSSH)", async () => {
      const before = dockerHostSetting();
      const agentBefore = process.env.SSH_AUTH_SOCK;
      const sshd = await startLocalSshd();
      try {
        // The extension host is this process: its ssh-agent is the one the engine client authenticates with.
        process.env.SSH_AUTH_SOCK = sshd.agentSocket;
        await setDockerHost(sshd.address);
        const engine = await doctorCheck(ENGINE_CHECK);
        assert.equal(engine?.ok, true, JSON.stringify(engine));
        assert.ok(engine.detail.startsWith(`${sshd.address}: Docker `), engine.detail);
      } finally {
        await setDockerHost(before);
        if (agentBefore === undefined) delete process.env.SSH_AUTH_SOCK;
        else process.env.SSH_AUTH_SOCK = agentBefore;
        await sshd.stop();
      }
    }).timeout(120_000);

    it("the doctor asks for a key for OpenAI's own API, on either of its two APIs, and for no other server", async () => {
      const model = vscode.workspace.getConfiguration('rolloutStudio.model');
      const before = { provider: model.get('provider'), model: model.get('name'), endpoint: model.get('endpoint') };
      const environmentKey = process.env.OPENAI_API_KEY;
      delete process.env.OPENAI_API_KEY;
      const modelCheck = async (choice: object) => {
        await vscode.commands.executeCommand('rolloutStudio.selectPolicy', choice);
        return doctorCheck(MODEL_CHECK);
      };
      try {
        for (const provider of ['openai-compatible', 'openai-responses']) {
          const openAI = await modelCheck({ provider, model: 'gpt-5-codex', endpoint: OPENAI_DEFAULT_BASE_URL });
          assert.equal(openAI?.ok, false, `${provider} at OpenAI: ${JSON.stringify(openAI)}`);
          assert.match(openAI.detail, /no API key/);
          const local = await modelCheck({ provider, model: 'qwen3-coder', endpoint: 'http://127.0.0.1:8000/v1' });
          assert.equal(local?.ok, true, `${provider} on a local server: ${JSON.stringify(local)}`);
        }
        const ollama = await modelCheck({ provider: 'ollama', model: 'qwen3-coder', endpoint: '' });
        assert.equal(ollama?.ok, true, JSON.stringify(ollama));
      } finally {
        if (environmentKey !== undefined) process.env.OPENAI_API_KEY = environmentKey;
        await vscode.commands.executeCommand('rolloutStudio.selectPolicy', before);
      }
    }).timeout(120_000);
  });
}

/** The same, as a person does it: through the command palette and the task picker, with pictures. */
export function paletteTests(): void {
  describe('UI: run the agent through the command palette (real Docker, local OpenAI wire-protocol test double)', () => {
    let server: ScriptedOpenAIServer;

    before(async () => {
      server = await ScriptedOpenAIServer.start(solvingSteps(1500), { apiKey: PLANTED_KEY });
      await useScriptedModel(server);
      await vscode.commands.executeCommand('rolloutStudio.openTaskSet', TASK_FOLDER);
      await vscode.commands.executeCommand('workbench.view.extension.rolloutStudio');
      // Showing the view focuses it; the palette must start from the editor, as a person's would.
      await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    });

    after(() => server.close());

    it('Run Agent on Task(s)… from the palette, picking the task, streams the run into playback', async () => {
      const { runs, panels } = await api();
      const runsBefore = new Set((await runs.getChildren()).map((item) => item.entry.run_id));
      const panelsBefore = new Set(panels);
      // A failed step says what the extension saw too: whether a run is going, and its last failure.
      const withExtensionState = async (error: Error): Promise<never> => {
        const { failures, activeRun } = await api();
        throw new Error(
          `${error.message}; run going: ${activeRun()?.taskIds.join(', ') ?? 'none'}; last failure: ${JSON.stringify(failures.at(-1))}`,
        );
      };
      await ui('palette', 'Rollout Studio: Run Agent on Task(s)').catch(withExtensionState);
      await ui('pick', 'pagekit__pagekit-14').catch(withExtensionState);
      const panel = await waitFor(
        'the live playback to open',
        () => panels.find((candidate) => !panelsBefore.has(candidate)),
        90_000,
      ).catch(withExtensionState);
      await waitFor('two turns streamed live', () => (panel.lastRendered?.turnCount ?? 0) >= 2, 60_000);
      await screenshot('playback-live-run');
      const newest = await waitFor(
        'the run to finish',
        async () =>
          (await api()).activeRun() === undefined &&
          (await runs.getChildren()).find((item) => !runsBefore.has(item.entry.run_id)),
        120_000,
      );
      assert.equal(panel.logPath, newest.logPath, 'the live playback shows the new run');
      await waitFor('the final report', () => panel.lastRendered?.turnCount === 4);
      await screenshotInThemes('playback-finished-run', { webview: true });
      assert.equal(newest.entry.status, 'submitted');
      assert.equal(newest.entry.reward, 1);
    }).timeout(360_000);

    it("Select Policy… from the palette: OpenAI's Responses API, an endpoint typed, a model named", async () => {
      const settings = () => vscode.workspace.getConfiguration('rolloutStudio');
      const endpoint = 'http://127.0.0.1:8001/v1';
      try {
        await ui('palette', 'Rollout Studio: Select Policy');
        await ui('choose', 'Responses API');
        await ui('choose', 'Other');
        await ui('enter', JSON.stringify({ title: 'Model endpoint', value: endpoint }));
        await ui('enter', JSON.stringify({ title: 'Model name', value: 'gpt-5-codex' }));
        // The command writes the provider, the model, then the endpoint.
        await waitFor('the endpoint setting', () => settings().get('model.endpoint') === endpoint);
        assert.deepEqual(
          ['model.provider', 'model.name'].map((key) => settings().get(key)),
          ['openai-responses', 'gpt-5-codex'],
        );
      } finally {
        await vscode.commands.executeCommand('rolloutStudio.selectPolicy', { provider: 'openai-compatible' });
        await useScriptedModel(server);
      }
    });

    it('asks before running more than one rollout, with what it may cost, and starts nothing unanswered', async () => {
      const { runs, failures, activeRun } = await api();
      const runsBefore = (await runs.getChildren()).length;
      const examples = (await vscode.commands.executeCommand(
        'rolloutStudio.openTaskSet',
        path.join(PROJECT_ROOT, 'tasks', 'examples'),
      )) as TaskSet;
      const answer = await vscode.commands.executeCommand('rolloutStudio.runAgent', {
        tasks: examples.tasks.slice(0, 2),
        follow: false,
      });
      // VS Code's test host refuses modal dialogs and names what they would have asked.
      assert.equal(answer, undefined);
      // The workspace sets no cost limit: each rollout may spend the default.
      const atMost = (2 * DEFAULT_AGENT_CONFIG.maxCostUsd).toFixed(2);
      const message = failures.at(-1)?.message ?? '';
      assert.match(
        message,
        /refused to show dialog in tests\. Contents: Run \S+ on 2 tasks \(2 rollouts, 2 at a time\)\? .* in all at most\./,
      );
      assert.ok(message.includes(`about $${atMost} in all at most.`), message);
      assert.equal(activeRun(), undefined);
      assert.equal((await runs.getChildren()).length, runsBefore);
    });
  });
}
