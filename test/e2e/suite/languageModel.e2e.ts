import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { removeFromRunIndex } from '../../../src/core/trajectory/runIndex';
import { LanguageModelPolicy, toLanguageModelMessages } from '../../../src/extension/policies/languageModelPolicy';
import { startSyntheticRun, syntheticTurn } from './fakeRun';
import { api, PROJECT_ROOT, workspaceFolder } from './helpers';

/**
 * An in-process stand-in for a paid chat model behind VS Code's Language Model API (GitHub Copilot and the
 * like cannot run here): it answers with the parts a real provider streams and keeps what it was sent.
 */
function languageModelTestDouble(reply: (vscode.LanguageModelTextPart | vscode.LanguageModelToolCallPart)[]) {
  const sent: { messages: vscode.LanguageModelChatMessage[]; options?: vscode.LanguageModelChatRequestOptions }[] = [];
  const model = {
    vendor: 'test-double',
    family: 'scripted',
    id: 'test-double-scripted',
    maxInputTokens: 64_000,
    async sendRequest(messages: vscode.LanguageModelChatMessage[], options?: vscode.LanguageModelChatRequestOptions) {
      sent.push({ messages, options });
      return {
        stream: (async function* () {
          yield* reply;
        })(),
      } as unknown as vscode.LanguageModelChatResponse;
    },
  };
  return { model, sent };
}

export function languageModelTests(): void {
  describe("VS Code's Language Model API as the agent's policy", () => {
    it("sends the conversation and tools in the API's shapes and reads back text and tool calls (in-process Language Model test double)", async () => {
      const { model, sent } = languageModelTestDouble([
        new vscode.LanguageModelTextPart('Looking.'),
        new vscode.LanguageModelToolCallPart('call_9', 'view', { path: 'README.md' }),
      ]);
      const policy = new LanguageModelPolicy(model);
      const tools = [
        {
          type: 'function' as const,
          function: {
            name: 'view',
            description: 'View a file',
            parameters: { type: 'object', properties: { path: { type: 'string' } } },
          },
        },
      ];
      const response = await policy.next({
        tools,
        messages: [
          { role: 'system', content: 'You fix bugs.' },
          { role: 'user', content: 'Fix it.' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'view', arguments: '{"path":"a.py"}' } },
              { id: 'call_2', type: 'function', function: { name: 'view', arguments: '{oops' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: 'print(1)' },
          { role: 'tool', tool_call_id: 'call_2', content: 'Invalid arguments' },
        ],
      });
      assert.deepEqual(response.message, {
        role: 'assistant',
        content: 'Looking.',
        tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'view', arguments: '{"path":"README.md"}' } }],
      });
      assert.equal(policy.info.backend, 'vscode-lm');
      assert.equal(policy.info.model, 'test-double/scripted');
      assert.deepEqual(policy.info.contextWindow, { tokens: 64_000, source: 'VS Code language model maxInputTokens' });
      const [request] = sent;
      assert.deepEqual(
        request.options?.tools?.map((tool) => tool.name),
        ['view'],
      );
      assert.deepEqual(
        request.messages.map((message) => message.role),
        [
          vscode.LanguageModelChatMessageRole.User,
          vscode.LanguageModelChatMessageRole.User,
          vscode.LanguageModelChatMessageRole.Assistant,
          vscode.LanguageModelChatMessageRole.User,
        ],
      );
      const calls = request.messages[2].content.filter(
        (part): part is vscode.LanguageModelToolCallPart => part instanceof vscode.LanguageModelToolCallPart,
      );
      assert.deepEqual(
        calls.map((call) => call.input),
        [{ path: 'a.py' }, { raw_arguments: '{oops' }],
      );
      const results = request.messages[3].content.filter(
        (part): part is vscode.LanguageModelToolResultPart => part instanceof vscode.LanguageModelToolResultPart,
      );
      assert.deepEqual(
        results.map((result) => result.callId),
        ['call_1', 'call_2'],
        'both tool results travel in one user message',
      );
      assert.equal(toLanguageModelMessages([{ role: 'user', content: 'hi' }]).length, 1);
    });

    describe('with no language model installed', () => {
      after(() =>
        vscode.workspace
          .getConfiguration('rolloutStudio')
          .update('model.provider', undefined, vscode.ConfigurationTarget.Workspace),
      );

      it('Run Agent refuses with a message that names what to install or change', async () => {
        await vscode.workspace
          .getConfiguration('rolloutStudio')
          .update('model.provider', 'vscode-lm', vscode.ConfigurationTarget.Workspace);
        const set = (await vscode.commands.executeCommand(
          'rolloutStudio.openTaskSet',
          path.join(PROJECT_ROOT, 'tasks', 'examples', 'pagekit__pagekit-14'),
        )) as { tasks: unknown[] };
        const summaries = await vscode.commands.executeCommand('rolloutStudio.runAgent', { tasks: set.tasks });
        assert.equal(summaries, undefined);
        const failure = (await api()).failures.at(-1);
        assert.equal(failure?.command, 'rolloutStudio.runAgent');
        assert.match(failure?.message ?? '', /no VS Code language model/);
        assert.match(failure?.message ?? '', /GitHub Copilot.*rolloutStudio\.model\.provider/);
      });

      it('Resume Run of a run a VS Code language model recorded asks for its vendor and family, and says so', async () => {
        // A run of the example task that Copilot's gpt-4o began and Stop Run ended; its task set is open.
        await vscode.commands.executeCommand(
          'rolloutStudio.openTaskSet',
          path.join(PROJECT_ROOT, 'tasks', 'examples', 'pagekit__pagekit-14'),
        );
        const runs = path.join(workspaceFolder(), '.rollout', 'runs');
        const recorder = await startSyntheticRun(runs, 'copilot-run-stopped', {
          task_id: 'pagekit__pagekit-14',
          policy: 'vscode-lm:copilot/gpt-4o',
        });
        try {
          await recorder.recordTurn(syntheticTurn(0));
          await recorder.finish({ exit_status: 'cancelled', patch: '', reward: null, error: 'stopped' });
          await recorder.close();
          const log = path.join(runs, 'copilot-run-stopped', 'trajectory.jsonl');
          assert.equal(await vscode.commands.executeCommand('rolloutStudio.resumeRun', log), undefined);
          const failure = (await api()).failures.at(-1);
          assert.equal(failure?.command, 'rolloutStudio.resumeRun');
          assert.match(failure?.message ?? '', /no VS Code language model of vendor 'copilot' and family 'gpt-4o'/);
        } finally {
          rmSync(path.join(runs, 'copilot-run-stopped'), { recursive: true, force: true });
          await removeFromRunIndex(runs, 'copilot-run-stopped');
        }
      });
    });
  });
}
