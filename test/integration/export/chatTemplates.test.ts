import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { exportDataset, type ExportOptions } from '../../../src/core/export/exporter';
import type { ExportMessage } from '../../../src/core/export/messages';
import { ensureVenv } from '../../../src/core/train/venv';
import { TrajectoryRecorder, type TurnInput } from '../../../src/core/trajectory/recorder';
import type { ToolSchema } from '../../../src/core/trajectory/types';
import { tempDir } from '../train/helpers';
import { sampleResult, sampleRun } from '../../unit/trajectory/sampleTrajectory';

const RENDERER = join(__dirname, '..', '..', '..', '..', 'test', 'integration', 'export', 'render_chat_templates.py');
/** The original templates of the three families, as TRL ships them in the trainer venv. */
const ONE_CALL_FAMILIES = ['qwen2_5', 'llama3_1', 'qwen3'];
/** Llama 3.1's template refuses several calls in one message ("only supports single tool-calls at once"). */
const PARALLEL_FAMILIES = ['qwen2_5', 'qwen3'];

const TOOLS: ToolSchema[] = [
  {
    type: 'function',
    function: {
      name: 'bash',
      description: 'Run a command.',
      parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
    },
  },
  {
    type: 'function',
    function: {
      name: 'view',
      description: 'Show lines of a file.',
      parameters: {
        type: 'object',
        properties: { path: { type: 'string' }, start: { type: 'integer' } },
        required: ['path'],
      },
    },
  },
];

interface Call {
  name: string;
  args: Record<string, unknown>;
}

/** A turn whose assistant message makes the given calls, each answered by a tool message. */
function turn(index: number, calls: Call[], reasoning?: string): TurnInput {
  const opening =
    index === 0
      ? [
          { role: 'system' as const, content: 'You are a careful engineer.' },
          { role: 'user' as const, content: 'Fix calc.add so that the tests pass.' },
        ]
      : [];
  const toolCalls = calls.map((call, i) => ({
    id: `call_${index}_${i}`,
    type: 'function' as const,
    function: { name: call.name, arguments: JSON.stringify(call.args) },
  }));
  return {
    messages: [
      ...opening,
      { role: 'assistant', content: `Step ${index}.`, tool_calls: toolCalls },
      ...toolCalls.map((call, i) => ({
        role: 'tool' as const,
        tool_call_id: call.id,
        content: `output of ${calls[i].name} #${index}`,
      })),
    ],
    observations: [],
    ...(reasoning ? { reasoning } : {}),
  };
}

const SHARED: Call[] = [{ name: 'bash', args: { command: 'grep -n "a - b" calc.py' } }];
const GOOD: Call[] = [{ name: 'bash', args: { command: "sed -i 's/a - b/a + b/' calc.py && printf 'ok\\n'" } }];
const BAD: Call[] = [{ name: 'bash', args: { command: 'echo "héllo — ✓"' } }];
const PARALLEL: Call[] = [
  { name: 'view', args: { path: 'calc.py', start: 1 } },
  { name: 'bash', args: { command: 'python -m pytest -q "tests/test_calc.py::test_add"' } },
];

async function record(out: string, runId: string, taskId: string, attempt: number, reward: number, turns: TurnInput[]) {
  const recorder = await TrajectoryRecorder.start(out, { ...sampleRun(runId, taskId, attempt), tools: TOOLS });
  for (const input of turns) await recorder.recordTurn(input);
  await recorder.finish(sampleResult(reward));
}

function rowsOf(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function exported(runs: string, format: ExportOptions['format'], style: ExportOptions['style'] = {}) {
  const out = tempDir(`templates-${format}`);
  await exportDataset({ runs: [runs], format, out, command: 'test', style });
  return rowsOf(join(out, 'train.jsonl'));
}

/** The conversations each export gives a chat template: sft rows, dpo prompt + each completion, rl prompt + response. */
function conversations(
  format: string,
  rows: Record<string, unknown>[],
): { messages: ExportMessage[]; tools: unknown }[] {
  return rows.flatMap((row) => {
    const tools = row.tools;
    if (format === 'sft') return [{ messages: row.messages as ExportMessage[], tools }];
    if (format === 'dpo') {
      const prompt = row.prompt as ExportMessage[];
      return [
        { messages: [...prompt, ...(row.chosen as ExportMessage[])], tools },
        { messages: [...prompt, ...(row.rejected as ExportMessage[])], tools },
      ];
    }
    return [{ messages: [...(row.prompt as ExportMessage[]), row.response as ExportMessage], tools }];
  });
}

async function render(families: string[], items: { messages: ExportMessage[]; tools: unknown }[]) {
  const python = await ensureVenv('cpu', (line) => console.error(line));
  const folder = tempDir('render');
  writeFileSync(join(folder, 'in.json'), JSON.stringify({ families, conversations: items }));
  const result = spawnSync(python, [RENDERER, join(folder, 'in.json'), join(folder, 'out.json')], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(readFileSync(join(folder, 'out.json'), 'utf8')) as {
    trl: string;
    renders: Record<string, (string | { error: string })[]>;
  };
}

/** What a template's `tojson` writes for a value: JSON.stringify's text (transformers keeps non-ASCII as it is). */
const tojson = (value: unknown) => JSON.stringify(value);

function assertRendersEveryCall(family: string, text: string, messages: ExportMessage[]) {
  for (const message of messages) {
    for (const call of message.tool_calls ?? []) {
      const args = call.function.arguments as Record<string, unknown>;
      assert.equal(typeof args, 'object', 'object flavour: arguments are a mapping');
      assert.ok(text.includes(call.function.name), `${family}: the call to ${call.function.name} is missing`);
      for (const [key, value] of Object.entries(args)) {
        assert.ok(
          text.includes(`${tojson(key)}: ${tojson(value)}`),
          `${family}: argument ${key} is not rendered as JSON`,
        );
      }
      assert.ok(!text.includes(tojson(JSON.stringify(args))), `${family}: the arguments are quoted twice`);
      assert.ok(!text.includes('\\"'.concat(Object.keys(args)[0])), `${family}: an escaped argument key`);
    }
    if (message.role === 'tool') assert.ok(text.includes(message.content), `${family}: a tool result is missing`);
  }
}

describe(
  'exported rows through the real chat templates of Qwen2.5, Llama 3.1 and Qwen3 (transformers in the trainer venv)',
  { timeout: 900_000 },
  () => {
    test('object arguments (the default): every tool call rendered once, no double quoting, tool results and Qwen3 think blocks in place', async () => {
      const runs = tempDir('templates-runs');
      await record(runs, 'one-good', 'task-one', 0, 1, [turn(0, SHARED), turn(1, GOOD)]);
      await record(runs, 'one-bad', 'task-one', 1, 0, [turn(0, SHARED), turn(1, BAD)]);
      await record(runs, 'parallel', 'task-parallel', 0, 1, [
        turn(0, PARALLEL, 'The test names the add function; read it first.'),
        turn(1, GOOD, 'It subtracts: flip the operator.'),
      ]);
      for (const format of ['sft', 'dpo', 'rl'] as const) {
        const items = conversations(format, await exported(runs, format));
        const parallel = items.filter((item) => item.messages.some((m) => (m.tool_calls?.length ?? 0) > 1));
        const single = items.filter((item) => !parallel.includes(item));
        for (const [families, group] of [
          [ONE_CALL_FAMILIES, single],
          [PARALLEL_FAMILIES, parallel],
        ] as const) {
          if (group.length === 0) continue;
          const { trl, renders } = await render([...families], group);
          assert.equal(trl, '1.13.0');
          for (const family of families)
            group.forEach((item, i) => {
              const text = renders[family][i];
              assert.equal(typeof text, 'string', `${format} ${family}: ${JSON.stringify(text)}`);
              assertRendersEveryCall(`${format} ${family}`, text as string, item.messages);
              for (const message of item.messages)
                if (family === 'qwen3' && message.reasoning_content)
                  assert.ok(
                    (text as string).includes(`<think>\n${message.reasoning_content}\n</think>`),
                    `${format} qwen3: the think block is missing`,
                  );
            });
        }
      }
    });

    test('string arguments: what templates that apply tojson quote twice (why object is the default)', async () => {
      const runs = tempDir('templates-runs-string');
      await record(runs, 'one', 'task-one', 0, 1, [turn(0, SHARED)]);
      const items = conversations('sft', await exported(runs, 'sft', { toolArguments: 'string' }));
      const { renders } = await render(ONE_CALL_FAMILIES, items);
      const argumentsText = JSON.stringify(SHARED[0].args);
      for (const family of ['qwen2_5', 'llama3_1'])
        assert.ok((renders[family][0] as string).includes(tojson(argumentsText)), `${family} quotes string arguments`);
      assert.ok(
        (renders.qwen3[0] as string).includes(`"arguments": ${argumentsText}`),
        'Qwen3 prints a string as it is: the string flavour suits templates like it and OpenAI fine-tuning',
      );
    });
  },
);
