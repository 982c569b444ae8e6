import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { exportDataset } from '../../../src/core/export/exporter';
import {
  importTrajectories,
  readForeignTrajectories,
  type ImportFormat,
} from '../../../src/core/trajectory/import/importer';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import type { Trajectory } from '../../../src/core/trajectory/types';

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const SWE_AGENT_0X = join(FIXTURES, 'swe-agent', 'swe-agent__test-repo-i1.traj');
const SWE_AGENT_1X = join(FIXTURES, 'swe-agent', '6e44b9__sweagenttestrepo-1c2844.traj');
const MINI_MESSAGE_LIST = join(FIXTURES, 'trajectories', 'mini-swe-agent', 'local.traj.json');
const OPENHANDS_EDIT = join(FIXTURES, 'trajectories', 'openhands', 'basic.json');
const OPENHANDS_CHAT = join(FIXTURES, 'trajectories', 'openhands', 'basic_interactions.json');
const OPENHANDS_V1_FOLDER = join(FIXTURES, 'trajectories', 'openhands', 'v1-conversation');
const OPENHANDS_V1_JSONL = join(FIXTURES, 'trajectories', 'openhands', 'v1-events.jsonl');
const OPENHANDS_TEXT_ACTIONS = join(FIXTURES, 'trajectories', 'openhands', 'resolver-output.jsonl');

async function only(file: string, from: ImportFormat): Promise<Trajectory> {
  const all: Trajectory[] = [];
  for await (const trajectory of readForeignTrajectories(file, from)) all.push(trajectory);
  assert.equal(all.length, 1);
  return all[0];
}

/** Imports through the recorder (redaction, schema check) and reads the log back. */
async function roundTrip(file: string, from: ImportFormat): Promise<Trajectory> {
  const out = mkdtempSync(join(tmpdir(), `import-${from}-`));
  const summary = await importTrajectories(file, from, out);
  const read = await readTrajectoryLog(summary.runs[0].path);
  assert.deepEqual(read.problems, []);
  assert.ok(read.trajectory);
  return read.trajectory;
}

function writeJson(name: string, value: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'import-fixture-')), name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('imports of every released trajectory format', () => {
  test('SWE-agent 0.x (text actions) records its variant', async () => {
    const trajectory = await only(SWE_AGENT_0X, 'swe-agent');
    assert.equal(trajectory.run.source?.version, 'text-actions');
    assert.ok(trajectory.turns.every((turn) => turn.observations[0].tool_call_id === null));
  });

  test('SWE-agent 1.x (function calling, tool_call_ids): each call paired with its raw observation', async () => {
    const raw = JSON.parse(readFileSync(SWE_AGENT_1X, 'utf8')) as {
      trajectory: { observation: string }[];
      history: { role: string; tool_call_ids?: string[]; tool_calls?: { id: string }[] }[];
      info: { submission: string };
    };
    const trajectory = await roundTrip(SWE_AGENT_1X, 'swe-agent');
    assert.equal(trajectory.run.source?.version, 'function-calling');
    assert.equal(trajectory.turns.length, raw.trajectory.length, 'every step is kept');
    const callIds = raw.history.flatMap((message) => message.tool_calls?.map((call) => call.id) ?? []);
    // The last step (`submit`) is not in the history: it is a turn of its own, with its raw observation.
    const submit = trajectory.turns.at(-1)!;
    assert.equal(submit.messages[0].extra?.action, 'submit');
    assert.equal(submit.observations[0].output, raw.trajectory.at(-1)?.observation);
    trajectory.turns.slice(0, -1).forEach((turn, i) => {
      const call = turn.messages.find((message) => message.role === 'assistant')?.tool_calls?.[0];
      assert.ok(call, `turn ${i} has its call`);
      assert.equal(turn.observations.length, 1);
      assert.equal(turn.observations[0].tool_call_id, call.id, 'the observation answers the call');
      assert.equal(turn.observations[0].tool, call.function.name);
      assert.equal(turn.observations[0].output, raw.trajectory[i].observation, 'the raw output, not the state lines');
      const tool = turn.messages.find((message) => message.role === 'tool');
      assert.equal(tool?.tool_call_id, call.id);
      assert.deepEqual(tool?.extra?.tool_call_ids, [call.id], 'the source list is kept');
    });
    assert.equal(callIds.length, trajectory.turns.length - 1);
    assert.equal(trajectory.result?.exit_status, 'submitted');
    assert.equal(trajectory.result?.patch, raw.info.submission);
  });

  test('SWE-agent: an observation answering several calls of one step pairs with each of them', async () => {
    // Written from SWE-agent 1.x's history format: one `tool` message lists every call it answers in `tool_call_ids`.
    const file = writeJson('parallel.traj', {
      trajectory: [
        { action: 'find_file a.py\nfind_file b.py', observation: 'found a.py\nfound b.py', thought: 'both', state: {} },
      ],
      history: [
        { role: 'system', content: 'sys', agent: 'main', message_type: 'system_prompt' },
        { role: 'user', content: 'task', agent: 'main', message_type: 'observation' },
        {
          role: 'assistant',
          content: 'both',
          action: 'find_file a.py\nfind_file b.py',
          agent: 'main',
          message_type: 'action',
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'find_file', arguments: '{"file_name":"a.py"}' } },
            { id: 'call_b', type: 'function', function: { name: 'find_file', arguments: '{"file_name":"b.py"}' } },
          ],
        },
        { role: 'tool', content: 'found a.py\nfound b.py', agent: 'main', tool_call_ids: ['call_a', 'call_b'] },
      ],
      info: { exit_status: 'submitted', submission: '' },
    });
    const trajectory = await roundTrip(file, 'swe-agent');
    assert.deepEqual(
      trajectory.turns[0].observations.map((observation) => [observation.tool_call_id, observation.arguments]),
      [
        ['call_a', '{"file_name":"a.py"}'],
        ['call_b', '{"file_name":"b.py"}'],
      ],
    );
  });

  test('mini-swe-agent: the bare message list of its earliest files (real test data)', async () => {
    const trajectory = await roundTrip(MINI_MESSAGE_LIST, 'mini-swe-agent');
    assert.equal(trajectory.run.source?.version, 'message-list');
    assert.ok(trajectory.turns.length >= 2);
    assert.ok(trajectory.turns.every((turn) => turn.observations.length <= 1));
    assert.ok(
      trajectory.turns.some((turn) => turn.observations.length === 1),
      'fenced commands become observations',
    );
  });

  test('mini-swe-agent: an empty instance_id is no id (the file name gives one); a file giving none is refused', async () => {
    const messages = JSON.parse(readFileSync(MINI_MESSAGE_LIST, 'utf8'));
    const named = writeJson('astropy-12907.traj.json', { instance_id: '', messages });
    assert.equal((await roundTrip(named, 'mini-swe-agent')).run.task_id, 'astropy-12907');
    const nameless = writeJson('.traj.json', { instance_id: '', messages });
    await assert.rejects(roundTrip(nameless, 'mini-swe-agent'), /\.traj\.json: instance_id: names no task/);
  });

  test('mini-swe-agent 2.x: actions and return codes from extra, reasoning as the turn reasoning', async () => {
    // Written from mini-swe-agent's docs/usage/output_files.md (trajectory_format mini-swe-agent-1.1).
    const file = writeJson('v2.traj.json', {
      info: { mini_version: '2.4.6', exit_status: 'Submitted', submission: 'diff --git a/x b/x\n' },
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'task' },
        {
          role: 'assistant',
          content: 'THOUGHT: run the tests\n\n```mswea_bash_command\npytest -q\n```',
          reasoning_content: 'The tests will tell.',
          extra: { actions: [{ command: 'pytest -q' }], cost: 0.01 },
        },
        {
          role: 'user',
          content: '<returncode>1</returncode>\n<output>\n1 failed\n</output>',
          extra: { returncode: 1 },
        },
      ],
      trajectory_format: 'mini-swe-agent-1.1',
    });
    const trajectory = await roundTrip(file, 'mini-swe-agent');
    assert.equal(trajectory.run.source?.version, 'mini-swe-agent-1.1');
    const [turn] = trajectory.turns;
    assert.equal(turn.reasoning, 'The tests will tell.');
    assert.deepEqual(JSON.parse(turn.observations[0].arguments ?? ''), { command: 'pytest -q' });
    assert.equal(turn.observations[0].exit_code, 1);
  });

  test('OpenHands event stream (real session): a response is one assistant message; its observation answers the call', async () => {
    const trajectory = await roundTrip(OPENHANDS_EDIT, 'openhands');
    assert.equal(trajectory.run.source?.format, 'openhands');
    assert.equal(trajectory.run.model.name, 'claude-3-5-sonnet-20241022');
    assert.deepEqual(
      trajectory.run.tools.map((tool) => tool.function.name),
      ['str_replace_editor', 'finish'],
      'the tools the session called, when it kept no declarations',
    );
    const roles = trajectory.turns.flatMap((turn) => turn.messages.map((message) => message.role));
    assert.deepEqual(roles, ['user', 'assistant', 'tool', 'assistant']);
    const [first, last] = trajectory.turns;
    const call = first.messages[1].tool_calls?.[0];
    assert.equal(call?.function.name, 'str_replace_editor');
    assert.equal(JSON.parse(call?.function.arguments ?? '{}').command, 'create');
    assert.equal(first.observations[0].tool_call_id, call?.id);
    assert.match(first.observations[0].output, /game_2048\.py/);
    assert.deepEqual(first.tokens, { input: 3486, output: 1135, cached_input: 0 });
    assert.equal(first.model, 'claude-3-5-sonnet-20241022');
    assert.match(last.messages[0].content ?? '', /simple implementation of the 2048 game/);
    assert.equal(trajectory.result?.exit_status, 'submitted', 'the finish action');
  });

  test('OpenHands: an empty timestamp gives no time (the next event that has one does)', async () => {
    const events = JSON.parse(readFileSync(OPENHANDS_EDIT, 'utf8'));
    const firstTimed = events.find((event: { timestamp?: string }, index: number) => index > 0 && event.timestamp);
    events[0].timestamp = '';
    const trajectory = await roundTrip(writeJson('empty-timestamp.json', events), 'openhands');
    assert.equal(trajectory.run.started_at, firstTimed.timestamp);
  });

  test('OpenHands: a chat without tools, and a response with several calls (each paired, exit codes kept)', async () => {
    const chat = await roundTrip(OPENHANDS_CHAT, 'openhands');
    assert.deepEqual(
      chat.turns.flatMap((turn) => turn.messages.map((message) => message.role)),
      ['user', 'assistant', 'user', 'assistant', 'user', 'assistant'],
    );
    // Written from the event format of the real sessions above: OpenHands writes one action event per call,
    // each carrying the whole model response, and one observation per call (`cause`, `tool_call_id`).
    const response = {
      id: 'chatcmpl-2',
      model: 'gpt-4o',
      system_fingerprint: 'fp_1',
      choices: [
        {
          message: {
            role: 'assistant',
            content: 'Two commands.',
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'execute_bash', arguments: '{"command":"ls"}' } },
              { id: 'c2', type: 'function', function: { name: 'execute_bash', arguments: '{"command":"false"}' } },
            ],
          },
        },
      ],
      usage: { prompt_tokens: 100, completion_tokens: 20 },
    };
    const meta = (id: string) => ({
      function_name: 'execute_bash',
      tool_call_id: id,
      model_response: response,
      total_calls_in_response: 2,
    });
    const file = writeJson('parallel.json', [
      { id: 0, source: 'user', action: 'message', args: { content: 'go' }, message: 'go' },
      { id: 1, source: 'agent', action: 'run', args: { command: 'ls' }, tool_call_metadata: meta('c1') },
      { id: 2, source: 'agent', action: 'run', args: { command: 'false' }, tool_call_metadata: meta('c2') },
      {
        id: 3,
        source: 'agent',
        observation: 'run',
        cause: 1,
        content: 'a.py',
        extras: { metadata: { exit_code: 0 } },
        tool_call_metadata: meta('c1'),
      },
      {
        id: 4,
        source: 'agent',
        observation: 'run',
        cause: 2,
        content: '',
        extras: { metadata: { exit_code: 1 } },
        tool_call_metadata: meta('c2'),
      },
      {
        id: 5,
        source: 'environment',
        observation: 'agent_state_changed',
        content: '',
        extras: { agent_state: 'error' },
      },
    ]);
    const trajectory = await roundTrip(file, 'openhands');
    assert.equal(trajectory.turns.length, 1);
    const [turn] = trajectory.turns;
    assert.equal(turn.messages.filter((message) => message.role === 'assistant').length, 1);
    assert.deepEqual(
      turn.observations.map((observation) => [observation.tool_call_id, observation.exit_code]),
      [
        ['c1', 0],
        ['c2', 1],
      ],
    );
    assert.equal(turn.system_fingerprint, 'fp_1');
    assert.equal(trajectory.events[0].kind, 'source_message', 'the state change is kept as an event');
    assert.equal(trajectory.result?.exit_status, 'error');
  });

  test('OpenHands 0.x text actions (real resolver output, no source, args or call metadata): each action a call its output answers', async () => {
    const raw = readFileSync(OPENHANDS_TEXT_ACTIONS, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { git_patch: string; history: Record<string, unknown>[] });
    const out = mkdtempSync(join(tmpdir(), 'import-openhands-text-'));
    const summary = await importTrajectories(OPENHANDS_TEXT_ACTIONS, 'openhands', out);
    assert.deepEqual(
      summary.runs.map((run) => run.task_id),
      ['resolver-output-1', 'resolver-output-2'],
    );
    for (const [i, run] of summary.runs.entries()) {
      const { trajectory } = await readTrajectoryLog(run.path);
      assert.ok(trajectory);
      const actions = raw[i].history.filter((event) => typeof event.action === 'string' && event.action !== 'message');
      const calls = trajectory.turns.flatMap((turn) => turn.observations);
      const ran = actions.filter((event) => event.action !== 'finish');
      assert.equal(calls.length, ran.length, `record ${i + 1}: every action is a call with its output`);
      assert.deepEqual(
        calls.map((call) => call.tool),
        ran.map((event) => event.action),
      );
      assert.equal(trajectory.turns[0].messages[0].role, 'user', 'the task');
      assert.equal(trajectory.result?.patch, raw[i].git_patch);
    }
    const { trajectory } = await readTrajectoryLog(summary.runs[0].path);
    const first = trajectory!.turns[0];
    assert.deepEqual(JSON.parse(first.observations[0].arguments ?? ''), { command: 'touch LICENSE' });
    assert.equal(first.observations[0].exit_code, 0);
    assert.match(first.messages[1].content ?? '', /add the MIT license/);
    assert.equal(trajectory!.result?.exit_status, 'submitted', 'the finish action');
  });

  test('OpenHands 1.x SDK (real conversation folder): system prompt and tools, each call answered, finish, a later chat turn', async () => {
    const trajectory = await roundTrip(OPENHANDS_V1_FOLDER, 'openhands');
    assert.deepEqual(
      trajectory.run.tools.map((tool) => tool.function.name),
      ['terminal', 'finish', 'think'],
      'the tools the system prompt event declared',
    );
    assert.match(trajectory.run.tools[0].function.description ?? '', /Execute a bash command/);
    const messages = trajectory.turns.flatMap((turn) => turn.messages);
    assert.deepEqual(
      messages.map((message) => message.role),
      ['system', 'user', 'assistant', 'tool', 'assistant', 'tool', 'user', 'assistant'],
    );
    assert.match(messages[0].content ?? '', /^You are OpenHands agent/);
    const [first, second, third] = trajectory.turns;
    const call = first.messages.find((message) => message.role === 'assistant')?.tool_calls?.[0];
    assert.equal(call?.id, 'call_KaQ0kUcBb5tbMzhxbIx9dvoZ');
    assert.equal(JSON.parse(call?.function.arguments ?? '{}').command, 'pwd > tool_output.txt');
    assert.deepEqual(
      first.observations.map((observation) => [observation.tool_call_id, observation.tool, observation.exit_code]),
      [['call_KaQ0kUcBb5tbMzhxbIx9dvoZ', 'terminal', 0]],
    );
    assert.equal(second.observations[0].tool, 'finish');
    assert.match(second.observations[0].output, /written to tool_output\.txt/);
    assert.match(third.messages.at(-1)?.content ?? '', /I executed the `pwd` command/);
    assert.equal(trajectory.result?.exit_status, 'submitted', 'the finish call');
    assert.equal(trajectory.run.started_at, '2026-02-05T11:24:45.292853');
  });

  test('OpenHands 1.x SDK events as JSONL (real test data): reasoning kept, return codes kept, state updates as events', async () => {
    const trajectory = await roundTrip(OPENHANDS_V1_JSONL, 'openhands');
    const assistants = trajectory.turns.flatMap((turn) =>
      turn.messages.filter((message) => message.role === 'assistant'),
    );
    assert.equal(assistants.length, 2, 'one assistant message per model response');
    assert.ok(trajectory.turns.every((turn) => typeof turn.reasoning === 'string' && turn.reasoning.length > 0));
    const observations = trajectory.turns.flatMap((turn) => turn.observations);
    assert.equal(observations.length, 3, 'every observation is kept, one whose call the file lacks too');
    assert.equal(observations.at(-1)?.exit_code, 1);
    assert.equal(
      trajectory.events.filter((event) => event.kind === 'source_message').length,
      5,
      'the ConversationStateUpdateEvents, in place',
    );
  });

  test('OpenHands 1.x SDK: the calls of one response are one assistant message; rejections and agent errors answer their calls', async () => {
    // Written from the SDK's event classes (openhands-sdk/openhands/sdk/event/llm_convertible/): one ActionEvent
    // per call, grouped by llm_response_id; UserRejectObservation and AgentErrorEvent answer a call by its id.
    const action = (id: string, command: string) => ({
      kind: 'ActionEvent',
      id: `a-${id}`,
      source: 'agent',
      thought: [{ type: 'text', text: 'Two at once.' }],
      reasoning_content: 'Both are needed.',
      tool_name: 'terminal',
      tool_call_id: id,
      tool_call: { id, name: 'terminal', arguments: JSON.stringify({ command }), origin: 'completion' },
      llm_response_id: 'resp-1',
    });
    const file = writeJson('sdk.json', [
      { kind: 'MessageEvent', source: 'user', llm_message: { role: 'user', content: [{ type: 'text', text: 'go' }] } },
      action('c1', 'rm -rf /'),
      action('c2', 'ls'),
      {
        kind: 'UserRejectObservation',
        source: 'environment',
        tool_name: 'terminal',
        tool_call_id: 'c1',
        action_id: 'a-c1',
        rejection_reason: 'too dangerous',
      },
      { kind: 'AgentErrorEvent', source: 'agent', tool_name: 'terminal', tool_call_id: 'c2', error: 'sandbox gone' },
      { kind: 'ConversationStateUpdateEvent', source: 'environment', key: 'execution_status', value: 'error' },
    ]);
    const trajectory = await roundTrip(file, 'openhands');
    assert.equal(trajectory.turns.length, 1);
    const [turn] = trajectory.turns;
    const assistant = turn.messages.filter((message) => message.role === 'assistant');
    assert.equal(assistant.length, 1);
    assert.equal(assistant[0].content, 'Two at once.');
    assert.deepEqual(
      assistant[0].tool_calls?.map((call) => call.id),
      ['c1', 'c2'],
    );
    assert.equal(turn.reasoning, 'Both are needed.');
    assert.deepEqual(
      turn.observations.map((observation) => [observation.tool_call_id, observation.output]),
      [
        ['c1', 'too dangerous'],
        ['c2', 'sandbox gone'],
      ],
    );
    assert.equal(trajectory.result?.exit_status, 'error');
  });

  test('OpenAI JSONL: reasoning_content becomes the turn reasoning, and an sft export gives it back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openai-reasoning-'));
    const file = join(dir, 'rows.jsonl');
    const row = {
      messages: [
        { role: 'user', content: 'list files' },
        {
          role: 'assistant',
          content: '',
          reasoning_content: 'Listing first.',
          tool_calls: [{ id: 't1', type: 'function', function: { name: 'bash', arguments: { command: 'ls' } } }],
        },
        { role: 'tool', tool_call_id: 't1', content: 'a.py' },
      ],
      metadata: { task_id: 't', reward: 1 },
    };
    writeFileSync(file, `${JSON.stringify(row)}\n`);
    const out = mkdtempSync(join(tmpdir(), 'openai-imported-'));
    await importTrajectories(file, 'openai', out);
    const exported = mkdtempSync(join(tmpdir(), 'openai-exported-'));
    await exportDataset({ runs: [out], format: 'sft', out: exported, command: 'test' });
    const [line] = readFileSync(join(exported, 'train.jsonl'), 'utf8').trim().split('\n');
    const messages = (JSON.parse(line) as { messages: Record<string, unknown>[] }).messages;
    assert.equal(messages[1].reasoning_content, 'Listing first.');
    assert.deepEqual((messages[1].tool_calls as { function: { arguments: unknown } }[])[0].function.arguments, {
      command: 'ls',
    });
  });
});
