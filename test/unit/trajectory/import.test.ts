import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importTrajectories, readForeignTrajectories } from '../../../src/core/trajectory/import/importer';
import { fromMiniSweAgentTraj } from '../../../src/core/trajectory/import/miniSweAgent';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { RUN_INDEX_FILE } from '../../../src/core/trajectory/runIndex';
import type { Trajectory } from '../../../src/core/trajectory/types';

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const SWE_AGENT_TRAJ = join(FIXTURES, 'swe-agent', 'swe-agent__test-repo-i1.traj');
const MINI_TRAJ = join(FIXTURES, 'trajectories', 'mini-swe-agent', 'swe-agent__test-repo-i1.traj.json');

async function only(file: string, from: 'swe-agent' | 'mini-swe-agent' | 'openai'): Promise<Trajectory> {
  const all: Trajectory[] = [];
  for await (const trajectory of readForeignTrajectories(file, from)) all.push(trajectory);
  assert.equal(all.length, 1);
  return all[0];
}

describe('rollout import', () => {
  test('the real SWE-agent .traj imports with all five steps, their observations and its submission', async () => {
    const raw = JSON.parse(readFileSync(SWE_AGENT_TRAJ, 'utf8')) as {
      trajectory: { action: string; observation: string }[];
      info: { submission: string };
    };
    const trajectory = await only(SWE_AGENT_TRAJ, 'swe-agent');
    assert.equal(trajectory.turns.length, 5);
    assert.equal(trajectory.run.task_id, 'swe-agent__test-repo-i1');
    assert.equal(trajectory.run.source?.format, 'swe-agent');
    trajectory.turns.forEach((turn, i) => {
      assert.equal(turn.observations.length, 1, `turn ${i}`);
      assert.deepEqual(JSON.parse(turn.observations[0].arguments ?? '{}'), { command: raw.trajectory[i].action });
      assert.equal(turn.observations[0].output, raw.trajectory[i].observation);
      assert.equal(turn.messages.filter((m) => m.role === 'assistant').length, 1);
    });
    assert.equal(trajectory.result?.exit_status, 'submitted');
    assert.equal(trajectory.result?.patch, raw.info.submission);
    assert.match(trajectory.result?.patch ?? '', /\+def division\(a: float, b: float\) -> float:/);
    assert.equal(trajectory.result?.reward, null, 'an import has no reward of ours');
    assert.equal(trajectory.result?.totals?.tokens_in, 52861);
    // Unknown fields are kept: SWE-agent's demo flag, the shell state per step, the top-level environment.
    assert.equal(trajectory.turns[0].messages[1].extra?.is_demo, true);
    assert.equal(trajectory.turns[0].messages[0].extra?.agent, 'primary');
    assert.match(String((trajectory.turns[2].extra?.swe_agent_step as { state: string }).state), /missing_colon\.py/);
    assert.equal(trajectory.run.extra?.environment, 'swe_main');
    // The whole conversation is kept: 12 history messages.
    assert.equal(
      trajectory.turns.reduce((n, turn) => n + turn.messages.length, 0),
      12,
    );
  });

  test('the imported SWE-agent run is written as a schema-valid log that reads back identically', async () => {
    const out = mkdtempSync(join(tmpdir(), 'import-'));
    const summary = await importTrajectories(SWE_AGENT_TRAJ, 'swe-agent', out);
    assert.equal(summary.runs.length, 1);
    const read = await readTrajectoryLog(summary.runs[0].path);
    assert.deepEqual(read.problems, []);
    assert.deepEqual(read.trajectory, await only(SWE_AGENT_TRAJ, 'swe-agent'));
    assert.deepEqual(await importTrajectories(SWE_AGENT_TRAJ, 'swe-agent', out), {
      runs: [],
      importedBefore: [{ run_id: summary.runs[0].run_id, path: summary.runs[0].path }],
    });
  });

  test('a .traj that is not JSON is named by line and column', async () => {
    const lines = JSON.stringify(JSON.parse(readFileSync(SWE_AGENT_TRAJ, 'utf8')), null, 2).split('\n');
    const lineWithComma = lines.findIndex((line) => /^      "action": .*,$/.test(line));
    lines[lineWithComma] = lines[lineWithComma].replace(/,$/, '');
    const broken = join(mkdtempSync(join(tmpdir(), 'traj-')), 'broken.traj');
    writeFileSync(broken, lines.join('\n'));
    await assert.rejects(
      only(broken, 'swe-agent'),
      new RegExp(
        `broken\\.traj: line ${lineWithComma + 2}: not valid JSON \\(Expected ',' or '}' after property value \\(column 7\\)\\)`,
      ),
    );
  });

  test('a folder given where a format reads one file is named, not a bare EISDIR', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'traj-folder-'));
    for (const from of ['swe-agent', 'mini-swe-agent', 'openai'] as const)
      await assert.rejects(importTrajectories(folder, from, mkdtempSync(join(tmpdir(), 'import-'))), {
        message: `${folder}: is a folder, expected a file`,
      });
  });

  test('an aborted import writes nothing more', async () => {
    const out = mkdtempSync(join(tmpdir(), 'import-'));
    await assert.rejects(
      importTrajectories(SWE_AGENT_TRAJ, 'swe-agent', out, {
        signal: AbortSignal.abort(new Error('import was cancelled')),
      }),
      /import was cancelled/,
    );
    assert.deepEqual(readdirSync(out), []);
  });

  test('a mini-swe-agent .traj.json imports with text actions as observations and raw responses kept', async () => {
    const trajectory = await only(MINI_TRAJ, 'mini-swe-agent');
    assert.equal(trajectory.run.task_id, 'swe-agent__test-repo-i1');
    assert.equal(trajectory.run.model.name, 'anthropic/claude-sonnet-4-20250514');
    assert.deepEqual(trajectory.run.model.parameters, { temperature: 0, drop_params: true });
    assert.equal(trajectory.run.tool_versions['mini-swe-agent'], '1.9.1');
    assert.equal(trajectory.run.extra?.trajectory_format, 'mini-swe-agent-1');
    assert.equal(trajectory.turns.length, 3);
    assert.deepEqual(JSON.parse(trajectory.turns[0].observations[0].arguments ?? '{}'), {
      command: 'cat -n tests/missing_colon.py',
    });
    assert.match(trajectory.turns[1].observations[0].output, /<output>\n8\.2\n<\/output>/);
    assert.equal((trajectory.turns[0].messages[2].extra?.response as { id: string }).id, 'chatcmpl-0');
    assert.equal(trajectory.result?.exit_status, 'submitted');
    assert.match(trajectory.result?.patch ?? '', /-> float:/);
    assert.equal(trajectory.result?.totals?.cost_usd, 0.0213);
  });

  test('mini-swe-agent v2 tool calls become observations and a non-chat exit message becomes an event', () => {
    const raw = {
      info: { exit_status: 'LimitsExceeded', submission: '', model_stats: { instance_cost: 0.5, api_calls: 1 } },
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'task' },
        {
          role: 'assistant',
          content: 'look',
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } }],
          extra: { actions: [{ command: 'ls' }] },
        },
        {
          role: 'tool',
          tool_call_id: 'c1',
          content: '<returncode>0</returncode>\n<output>\na.py\n</output>',
          extra: { returncode: 0 },
        },
        { role: 'exit', content: 'LimitsExceeded', extra: { exit_status: 'LimitsExceeded' } },
      ],
      trajectory_format: 'mini-swe-agent-1.1',
    };
    const trajectory = fromMiniSweAgentTraj(raw, 'x.traj.json', { content: JSON.stringify(raw) });
    assert.equal(trajectory.turns.length, 1);
    assert.equal(trajectory.turns[0].observations[0].tool_call_id, 'c1');
    assert.equal(trajectory.turns[0].observations[0].tool, 'bash');
    assert.deepEqual(trajectory.turns[0].messages[1 + 1].extra, { actions: [{ command: 'ls' }] });
    assert.equal(trajectory.events[0].kind, 'source_message');
    assert.equal(trajectory.events[0].after_turn, 1);
    assert.equal(trajectory.result?.exit_status, 'turn_limit');
    assert.equal((trajectory.result?.extra?.source_info as { exit_status: string }).exit_status, 'LimitsExceeded');
  });

  test("a run the machinery ended (SWE-agent's exit_api and exit_environment_error, submitted or not; mini-swe-agent's LiteLLM and container exceptions) imports as infra_error, never a failure", () => {
    const statuses: [status: string, submission: boolean, expected: string][] = [
      ['exit_api', false, 'infra_error'],
      ['exit_environment_error', false, 'infra_error'],
      ['submitted (exit_api)', true, 'infra_error'],
      ['submitted (exit_environment_error)', true, 'infra_error'],
      ['RateLimitError', false, 'infra_error'],
      ['APIConnectionError', false, 'infra_error'],
      ['ServiceUnavailableError', false, 'infra_error'],
      ['Timeout', false, 'infra_error'],
      ['CalledProcessError', false, 'infra_error'],
      // The agent's own endings keep their meaning.
      ['submitted (exit_cost)', true, 'cost_limit'],
      ['submitted (exit_context)', true, 'token_limit'],
      ['exit_total_execution_time', false, 'time_limit'],
      ['TimeExceeded', false, 'time_limit'],
      ['ContextWindowExceededError', false, 'token_limit'],
      ['submitted (exit_forfeit)', true, 'submitted'],
      ['exit_format', false, 'error'],
      ['RuntimeError', false, 'error'],
    ];
    const actual = statuses.map(([status, submitted]) => {
      const raw = {
        info: { exit_status: status, submission: submitted ? 'diff --git a/x b/x\n' : '' },
        messages: [
          { role: 'system', content: 'sys' },
          { role: 'user', content: 'task' },
        ],
        trajectory_format: 'mini-swe-agent-1.1',
      };
      return fromMiniSweAgentTraj(raw, 'x.traj.json', { content: JSON.stringify(raw) }).result?.exit_status;
    });
    assert.deepEqual(
      actual,
      statuses.map(([, , expected]) => expected),
    );
  });

  test('OpenAI conversation JSONL imports one run per line; bad lines are named by line and field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openai-'));
    const file = join(dir, 'chats.jsonl');
    const good = {
      messages: [
        { role: 'user', content: 'list files' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 't1', type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } }],
        },
        { role: 'tool', tool_call_id: 't1', content: 'a.py' },
        { role: 'assistant', content: 'There is a.py.' },
      ],
      tools: [{ type: 'function', function: { name: 'bash', parameters: { type: 'object' } } }],
      id: 'conv-7',
    };
    writeFileSync(file, `${JSON.stringify(good)}\n\n${JSON.stringify({ ...good, id: 'conv-8' })}\n`);
    const out = mkdtempSync(join(tmpdir(), 'import-'));
    const summary = await importTrajectories(file, 'openai', out);
    assert.equal(summary.runs.length, 2);
    const read = await readTrajectoryLog(summary.runs[0].path);
    assert.deepEqual(read.problems, []);
    assert.equal(read.trajectory?.turns.length, 2);
    assert.equal(read.trajectory?.turns[0].observations[0].output, 'a.py');
    assert.equal(read.trajectory?.run.extra?.id, 'conv-7', 'unknown top-level fields are kept');

    const bad = join(dir, 'bad.jsonl');
    writeFileSync(
      bad,
      `${JSON.stringify(good)}\n${JSON.stringify({
        messages: [
          { role: 'assistant', content: 'x' },
          { role: 'tool', content: 'y' },
        ],
      })}\n`,
    );
    await assert.rejects(
      importTrajectories(bad, 'openai', mkdtempSync(join(tmpdir(), 'import-'))),
      /bad\.jsonl: line 2: messages\[1\]\.tool_call_id: a tool message needs the id/,
    );
    writeFileSync(bad, '{"messages": [}\n');
    await assert.rejects(
      importTrajectories(bad, 'openai', mkdtempSync(join(tmpdir(), 'import-'))),
      /bad\.jsonl: line 1: not valid JSON/,
    );
  });

  describe('an OpenAI JSONL import is all or nothing, and a rerun leaves what it imported before', () => {
    const conversation = (id: string, metadata: Record<string, unknown> = {}) =>
      JSON.stringify({
        messages: [
          { role: 'user', content: `task ${id}` },
          { role: 'assistant', content: `done ${id}` },
        ],
        metadata,
      });
    const chats = (lines: string[]) => {
      const file = join(mkdtempSync(join(tmpdir(), 'openai-')), 'chats.jsonl');
      writeFileSync(file, `${lines.join('\n')}\n`);
      return file;
    };

    test('a bad row anywhere (not JSON on line 4, a bad field on line 2) writes no run; fixed, all import', async () => {
      const out = mkdtempSync(join(tmpdir(), 'import-'));
      const good = ['a', 'b', 'c'].map((id) => conversation(id));
      await assert.rejects(
        importTrajectories(chats([...good, '{"messages": [}']), 'openai', out),
        /line 4: not valid JSON/,
      );
      assert.deepEqual(readdirSync(out), []);
      await assert.rejects(
        importTrajectories(chats([good[0], '{"messages": []}', good[2]]), 'openai', out),
        /line 2: messages: must be a non-empty list/,
      );
      assert.deepEqual(readdirSync(out), []);
      assert.equal((await importTrajectories(chats(good), 'openai', out)).runs.length, 3);
    });

    test('a rerun, from anywhere, skips the runs it imported before and imports the rows added since', async () => {
      const out = mkdtempSync(join(tmpdir(), 'import-'));
      const first = await importTrajectories(chats([conversation('a'), conversation('b')]), 'openai', out);
      const logs = first.runs.map((run) => readFileSync(run.path, 'utf8'));
      const again = await importTrajectories(
        chats([conversation('a'), conversation('b'), conversation('c')]),
        'openai',
        out,
      );
      assert.deepEqual(
        again.importedBefore,
        first.runs.map(({ run_id, path }) => ({ run_id, path })),
      );
      assert.equal(again.runs.length, 1);
      assert.deepEqual(
        first.runs.map((run) => readFileSync(run.path, 'utf8')),
        logs,
        'the earlier logs are left as they were',
      );
    });

    test('a run id whose run in the folder is another, or that the file gives twice, stops the import before it writes', async () => {
      const out = mkdtempSync(join(tmpdir(), 'import-'));
      const [first] = (await importTrajectories(chats([conversation('a', { run_id: 'r1' })]), 'openai', out)).runs;
      const changed = chats([conversation('z'), conversation('a-changed', { run_id: 'r1' })]);
      await assert.rejects(importTrajectories(changed, 'openai', out), {
        message: `${first.path} already exists and is not run 'r1' as ${changed} gives it: nothing was imported; import into another folder, or delete that run`,
      });
      const twice = chats([
        conversation('y'),
        conversation('a', { run_id: 'r2' }),
        conversation('b', { run_id: 'r2' }),
      ]);
      await assert.rejects(importTrajectories(twice, 'openai', out), {
        message: `${twice}: two runs have the id 'r2'; nothing was imported`,
      });
      assert.deepEqual(
        readdirSync(out).filter((name) => name !== RUN_INDEX_FILE),
        ['r1'],
      );
    });
  });
});
