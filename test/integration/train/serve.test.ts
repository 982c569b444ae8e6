import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import OpenAI from 'openai';
import { startServer, train } from '../../../src/core/train/jobs';
import { lineSplitter } from '../../../src/core/train/runner';
import { ensureVenv, trainerDir } from '../../../src/core/train/venv';
import { BASH_TOOL, cpuRunner, tempDir, tinyModel } from './helpers';

const LIST_FILES = [{ role: 'user' as const, content: 'List the files.' }];

/**
 * Each prompt's token ids as `rollout serve` makes them from a request: its own request reading (`ChatModel.plan`)
 * with the served model's tokenizer and chat template, the prompt as the messages and the tools as the tools.
 */
async function servedPromptIds(
  modelFolder: string,
  rows: { prompt: unknown[]; tools: unknown[] }[],
): Promise<number[][]> {
  const script = `
import json, sys
from rollout_trainer.device import resolve_placement
from rollout_trainer.serve import ChatModel, locate_model
chat = ChatModel(*locate_model(sys.argv[1], None), resolve_placement("cpu"))
for line in sys.stdin:
    row = json.loads(line)
    print(json.dumps(chat.plan({"messages": row["prompt"], "tools": row["tools"]})["prompt"]))
`;
  const input = rows.map(({ prompt, tools }) => JSON.stringify({ prompt, tools })).join('\n');
  const run = spawnSync(await ensureVenv('cpu'), ['-c', script, modelFolder], {
    cwd: trainerDir(),
    input,
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as number[]);
}

/** An adapter trained (really, on CPU) until it answers "List the files." with one bash tool call. */
async function toolCallingAdapter(): Promise<string> {
  const runner = await cpuRunner();
  const folder = tempDir('serve');
  const data = join(folder, 'one-call.jsonl');
  const answer = {
    role: 'assistant',
    content: null,
    tool_calls: [
      { id: 'c1', type: 'function', function: { name: 'bash', arguments: JSON.stringify({ command: 'ls' }) } },
    ],
  };
  writeFileSync(data, `${JSON.stringify({ messages: [...LIST_FILES, answer], tools: [BASH_TOOL] })}\n`.repeat(4));
  const out = join(folder, 'out');
  await train(runner, {
    method: 'sft',
    data,
    baseModel: await tinyModel(runner),
    out,
    device: 'cpu',
    maxSteps: 40,
    learningRate: 5e-3,
    saveSteps: 1000,
  });
  return out;
}

describe('trainer server with base model + adapter (real Python runner, CPU)', { timeout: 600_000 }, () => {
  let adapterFolder: Promise<string> | undefined;
  const adapter = () => (adapterFolder ??= toolCallingAdapter());

  test('the OpenAI SDK gets a parsed tool call from the served adapter', async () => {
    const runner = await cpuRunner();
    const server = await startServer(runner, { model: await adapter(), name: 'tiny', device: 'cpu' });
    try {
      const ready = server.readyEvent;
      assert.equal(ready.event, 'serving');
      if (ready.event !== 'serving') return;
      assert.match(ready.policy, /^openai:tiny@http:\/\/127\.0\.0\.1:\d+\/v1$/);
      const client = new OpenAI({ baseURL: ready.url, apiKey: 'unused-local-key', maxRetries: 0 });
      assert.deepEqual(
        (await client.models.list()).data.map((model) => model.id),
        ['tiny'],
      );
      const completion = await client.chat.completions.create({
        model: 'tiny',
        messages: LIST_FILES,
        tools: [BASH_TOOL],
        temperature: 0,
        max_tokens: 40,
      });
      const choice = completion.choices[0];
      assert.equal(choice.finish_reason, 'tool_calls');
      const call = choice.message.tool_calls?.[0];
      assert.ok(call && call.type === 'function');
      assert.equal(call.function.name, 'bash');
      assert.deepEqual(JSON.parse(call.function.arguments), { command: 'ls' });
    } finally {
      const outcome = await server.stop();
      assert.equal(outcome.exitCode, 0);
    }
  });

  test("`rollout serve --model DIR` prints the openai: policy string, `rollout run --logprobs --token-ids` completes a rollout against it in a real Docker sandbox, every turn and RL row carries one logprob per token id and the prompt's token ids, which are the served template's tokens of the row's prompt, SIGINT stops it", async () => {
    const root = dirname(dirname(trainerDir()));
    const cli = join(root, 'dist', 'cli.js');
    const served = await adapter();
    const child = spawn(process.execPath, [cli, 'serve', '--model', served, '--name', 'tiny', '--device', 'cpu'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const policy = await new Promise<string>((resolve, reject) => {
      const lines = lineSplitter((line) => resolve(line));
      child.stdout.on('data', (chunk: Buffer) => lines.push(chunk));
      child.on('close', (code) =>
        reject(new Error(`rollout serve exited ${code} before printing a policy:\n${stderr.join('')}`)),
      );
    });
    const match = /^openai:tiny@(http:\/\/127\.0\.0\.1:\d+\/v1)$/.exec(policy);
    assert.ok(match, policy);
    const models = (await (await fetch(`${match[1]}/models`)).json()) as { data: { id: string }[] };
    assert.equal(models.data[0].id, 'tiny');

    // The tiny model's replies are noise for a real task; the rollout must still finish and be graded.
    const runs = tempDir('rollout');
    const rollout = spawnSync(
      process.execPath,
      [
        cli,
        'run',
        '--tasks',
        join(root, 'tasks', 'examples'),
        '--ids',
        'pagekit__pagekit-14',
        '--policy',
        policy,
        '--out',
        runs,
        '--max-turns',
        '2',
        '--logprobs',
        '--token-ids',
      ],
      { encoding: 'utf8', timeout: 300_000, env: { ...process.env, OPENAI_API_KEY: 'unused-local-key' } },
    );
    assert.equal(rollout.status, 0, rollout.stderr + rollout.stdout);
    const log = readdirSync(runs, { recursive: true, encoding: 'utf8' }).find((path) =>
      path.endsWith('trajectory.jsonl'),
    );
    assert.ok(log, `no trajectory under ${runs}`);
    const lines = readFileSync(join(runs, log), 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            type: string;
            run?: { policy: string };
            turn?: { logprobs?: { token_ids: number[]; logprobs: number[] } };
            result?: { exit_status: string; reward: { value: number | null } | null };
          },
      );
    assert.equal(lines[0].run?.policy, policy);
    const finished = lines.at(-1);
    assert.equal(finished?.type, 'run_finished');
    assert.notEqual(finished?.result?.exit_status, 'infra_error');
    assert.equal(typeof finished?.result?.reward?.value, 'number');
    const turns = lines.filter((line) => line.type === 'turn').map((line) => line.turn?.logprobs);
    assert.ok(turns.length > 0);
    for (const recorded of turns) {
      assert.ok(recorded && recorded.token_ids.length > 0, 'the token ids the server returned are recorded');
      assert.equal(recorded.logprobs.length, recorded.token_ids.length, 'one logprob per token id');
    }
    const dataset = tempDir('rl');
    const exported = spawnSync(process.execPath, [cli, 'export', '--runs', runs, '--format', 'rl', '--out', dataset], {
      encoding: 'utf8',
    });
    assert.equal(exported.status, 0, exported.stderr + exported.stdout);
    const rows = readFileSync(join(dataset, 'train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            prompt: unknown[];
            tools: unknown[];
            prompt_token_ids?: number[];
            token_ids?: number[];
            logprobs?: number[];
            loss_mask?: number[];
          },
      );
    assert.equal(rows.length, turns.length);
    for (const [i, row] of rows.entries()) {
      assert.deepEqual(row.token_ids, turns[i]?.token_ids);
      assert.deepEqual(row.logprobs, turns[i]?.logprobs);
      assert.equal(row.loss_mask?.length, row.token_ids?.length);
    }
    // The ids the server tokenized each request into are what its template makes of the row's prompt and tools.
    assert.deepEqual(
      rows.map((row) => row.prompt_token_ids),
      await servedPromptIds(served, rows),
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr.join(''));
  });
});
