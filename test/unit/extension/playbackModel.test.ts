import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { turnReward } from '../../../src/core/reward/turnReward';
import type { RunResult, Turn } from '../../../src/core/trajectory/types';
import {
  splitPolicy,
  toPlaybackEvent,
  toPlaybackLiveTurn,
  toPlaybackResult,
  toPlaybackTurn,
  toPlaybackTurns,
  patchSections,
  turnChange,
  turnPatches,
} from '../../../src/extension/playback/playbackModel';

const turn = (index: number, diff?: string, extra: Partial<Turn> = {}): Turn => ({
  index,
  messages: [
    ...(index === 0
      ? [
          { role: 'system' as const, content: 'You are an agent.' },
          { role: 'user' as const, content: 'Fix the bug.' },
        ]
      : []),
    {
      role: 'assistant',
      content: `thinking ${index}`,
      tool_calls: [{ id: `c${index}`, type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } }],
    },
    { role: 'tool', content: 'a.py', tool_call_id: `c${index}` },
  ],
  observations: [{ tool_call_id: `c${index}`, tool: 'bash', output: 'a.py', truncated: false, exit_code: 0 }],
  diff,
  ...extra,
});

describe('playback model', () => {
  test("the turn in progress shows what the model has written and the running calls' output", () => {
    assert.deepEqual(
      toPlaybackLiveTurn({
        turn: 3,
        phase: 'tools',
        started_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-01T00:00:01Z',
        content: 'Running the tests.',
        reasoning: 'They failed before.',
        tool_calls: [{ id: 'c1', name: 'bash', arguments: '{"command":"pytest"}' }],
        outputs: [{ tool_call_id: 'c1', tool: 'bash', output: '3 passed' }],
      }),
      {
        index: 3,
        phase: 'tools',
        message: 'Running the tests.',
        reasoning: 'They failed before.',
        toolCalls: [{ name: 'bash', arguments: '{"command":"pytest"}' }],
        outputs: [{ tool: 'bash', output: '3 passed' }],
      },
    );
  });

  test('splits a turn into prompts, the model message, tool calls and observations', () => {
    const converted = toPlaybackTurn(
      turn(0, 'patch-a', {
        signals: { diff_changed: 1, tool_errors: 1, imported_score: 7 },
        durations_ms: { model: 1, tools: 2, total: 3 },
      }),
      undefined,
    );
    assert.deepEqual(converted.prompts, [
      { role: 'system', text: 'You are an agent.' },
      { role: 'user', text: 'Fix the bug.' },
    ]);
    assert.equal(converted.message, 'thinking 0');
    assert.deepEqual(converted.toolCalls, [{ id: 'c0', name: 'bash', arguments: '{"command":"ls"}' }]);
    assert.deepEqual(converted.observations, [
      { tool: 'bash', output: 'a.py', truncated: false, exitCode: 0, isError: undefined },
    ]);
    assert.equal(converted.reward, turnReward({ diff_changed: 1, tool_errors: 1 }), 'the one turn-reward definition');
    assert.equal(converted.reward, 0, 'a turn with a failed call earns at most 0; unknown signals weigh 0');
    assert.equal(converted.durationMs, 3);
  });

  test('marks only the turns whose patch changed as having changed files, and sends no patch with them', () => {
    const turns = toPlaybackTurns([turn(0, 'patch-a'), turn(1, 'patch-a'), turn(2), turn(3, 'patch-b')]);
    assert.deepEqual(
      turns.map((converted) => converted.changedPaths),
      [['the patch'], [], [], ['the patch']],
    );
    assert.deepEqual(
      turns.map((converted) => converted.patchRecorded),
      [true, true, false, true],
    );
    assert.ok(
      turns.every((converted) => !('diff' in converted)),
      'patches are sent per turn, on request',
    );
    assert.equal(turns[0].reward, null);
  });

  test('streamed turns compare against the last turn already shown', () => {
    const [next] = toPlaybackTurns([turn(5, 'patch-a')], turn(4, 'patch-a'));
    assert.deepEqual(next.changedPaths, []);
  });

  test("a turn's change is the sections of the files it changed, and the files whose change it undid", () => {
    const section = (file: string, body: string) =>
      `diff --git a/${file} b/${file}\n--- a/${file}\n+++ b/${file}\n@@ -1 +1 @@\n-old\n+${body}\n`;
    const before = section('a.py', 'one') + section('b.py', 'two') + section('c.py', 'three');
    const after = section('a.py', 'one') + section('b.py', 'TWO') + section('d.py', 'four');
    assert.deepEqual(turnChange(before, after), {
      paths: ['b.py', 'd.py', 'c.py'],
      patch: section('b.py', 'TWO') + section('d.py', 'four'),
      undone: ['c.py'],
    });
    assert.deepEqual(turnChange(after, after), { paths: [], patch: '', undone: [] });
    assert.deepEqual(turnChange('', section('a.py', 'one')).paths, ['a.py']);
    const sections = patchSections(`preamble\n${section('a.py', 'x')}`);
    assert.deepEqual([...sections.keys()], ['', 'diff --git a/a.py b/a.py']);
  });

  test('the diff editor compares the patch before a turn with the patch after it', () => {
    const turns = [turn(0, 'patch-a'), turn(1), turn(2, 'patch-b')];
    assert.deepEqual(turnPatches(turns, 0), { before: '', after: 'patch-a' });
    assert.deepEqual(turnPatches(turns, 1), { before: 'patch-a', after: 'patch-a' });
    assert.deepEqual(turnPatches(turns, 2), { before: 'patch-a', after: 'patch-b' });
    assert.throws(() => turnPatches(turns, 3), /turn 3 does not exist \(the trajectory has 3 turns\)/);
  });

  test('reads the FAIL_TO_PASS / PASS_TO_PASS report and keeps an uncomputed reward as null', () => {
    const result: RunResult = {
      exit_status: 'submitted',
      ended_at: '2026-01-01T00:00:00Z',
      patch: '',
      reward: {
        value: 1,
        resolved: true,
        report: { FAIL_TO_PASS: { success: ['t1'], failure: [] }, PASS_TO_PASS: { success: ['t2'], failure: ['t3'] } },
      },
    };
    const converted = toPlaybackResult(result);
    assert.deepEqual(converted.failToPass, { success: ['t1'], failure: [] });
    assert.deepEqual(converted.passToPass, { success: ['t2'], failure: ['t3'] });
    assert.equal(converted.reward, 1);
    const totals = { turns: 3, tokens_in: 0, tokens_out: 0, cost_usd: 0, duration_ms: 1200 };
    assert.deepEqual(
      toPlaybackResult({ ...result, totals }).totals,
      { turns: 3, tokensIn: null, tokensOut: null, costUsd: null, durationMs: 1200 },
      'a run that recorded no usage (an import) says so rather than "$0.0000 · 0 tokens"',
    );
    assert.deepEqual(toPlaybackResult({ ...result, totals: { ...totals, cost_usd: 0.25 } }).totals?.costUsd, 0.25);
    assert.deepEqual(
      toPlaybackResult({ ...result, totals: { ...totals, tokens_in: 900, tokens_out: 100 } }).totals,
      { turns: 3, tokensIn: 900, tokensOut: 100, costUsd: 0, durationMs: 1200 },
      'a free local model used tokens: its cost is a real 0',
    );
    const infra = toPlaybackResult({ ...result, exit_status: 'infra_error', reward: null, error: 'engine down' });
    assert.equal(infra.reward, null);
    assert.equal(infra.failToPass, undefined);
    assert.equal(infra.error, 'engine down');
  });

  test('finds the test lists in the report a rollout records and in a harness report.json', () => {
    const tests_status = {
      FAIL_TO_PASS: { success: ['f'], failure: [] },
      PASS_TO_PASS: { success: [], failure: ['p'] },
      FAIL_TO_FAIL: { success: [], failure: [] },
    };
    const rollout = toPlaybackResult({
      exit_status: 'submitted',
      ended_at: '',
      patch: '',
      reward: {
        value: 0,
        resolved: false,
        report: {
          reward_fn: 'binary',
          explanation: 'x',
          evaluation_status: 'unresolved',
          report: { resolved: false, tests_status },
        },
      },
    });
    assert.deepEqual(rollout.failToPass, { success: ['f'], failure: [] });
    assert.deepEqual(rollout.passToPass, { success: [], failure: ['p'] });
    const harness = toPlaybackResult({
      exit_status: 'submitted',
      ended_at: '',
      patch: '',
      reward: { value: 1, report: { resolved: true, tests_status } },
    });
    assert.deepEqual(harness.failToPass, { success: ['f'], failure: [] });
    const reportFile = toPlaybackResult({
      exit_status: 'submitted',
      ended_at: '',
      patch: '',
      reward: { value: 1, report: { 'acme__calc-1': { resolved: true, tests_status } } },
    });
    assert.deepEqual(reportFile.passToPass, { success: [], failure: ['p'] });
  });

  test('ignores a report of another shape instead of showing wrong lists', () => {
    const converted = toPlaybackResult({
      exit_status: 'submitted',
      ended_at: '',
      patch: '',
      reward: { value: 0, report: { FAIL_TO_PASS: ['not', 'an', 'object'] } },
    });
    assert.equal(converted.failToPass, undefined);
  });

  test("a protocol's messages are named with their round, and the turn they open starts the next round", () => {
    const reply = turn(2, 'patch-a', {
      messages: [
        { role: 'user', content: 'Why would the loop close?', extra: { speaker: 'simulated_user', round: 1 } },
        { role: 'assistant', content: 'Because the block exits.' },
      ],
      observations: [],
    });
    const converted = toPlaybackTurn(reply, 'patch-a');
    assert.deepEqual(converted.prompts, [
      { role: 'user', text: 'Why would the loop close?', speaker: 'simulated_user', round: 1 },
    ]);
    assert.equal(converted.startsRound, 2);
    assert.equal(toPlaybackTurn(turn(1), undefined).startsRound, undefined);
  });

  test("the report shows a feedback run's rounds and a CodeAssistBench judge's verdict", () => {
    const rounds = [
      { round: 1, reward: 0, resolved: false },
      { round: 2, reward: 1, resolved: true },
    ];
    const feedback = toPlaybackResult({
      exit_status: 'submitted',
      ended_at: '',
      patch: '',
      reward: { value: 1, resolved: true, report: { reward_fn: 'binary', rounds } },
    });
    assert.deepEqual(feedback.rounds, rounds);
    assert.equal(feedback.judge, undefined);
    const single = toPlaybackResult({
      exit_status: 'submitted',
      ended_at: '',
      patch: '',
      reward: { value: 1, report: { rounds: [rounds[1]] } },
    });
    assert.equal(single.rounds, undefined, 'one round is no round to show');
    const cab = toPlaybackResult({
      exit_status: 'submitted',
      ended_at: '',
      patch: '',
      reward: {
        value: 0.5,
        resolved: false,
        report: {
          protocol: 'cab',
          verdict: 'PARTIALLY CORRECT',
          judge_reply: 'VERDICT: PARTIALLY CORRECT',
          user_rounds: 2,
          final_status: 'PARTIALLY_SATISFIED',
        },
      },
    });
    assert.deepEqual(cab.judge, {
      verdict: 'PARTIALLY CORRECT',
      reply: 'VERDICT: PARTIALLY CORRECT',
      userRounds: 2,
      finalStatus: 'PARTIALLY_SATISFIED',
    });
  });
});

describe('playback header and events', () => {
  test('the policy without its server address, and the server as host:port', () => {
    assert.deepEqual(splitPolicy('openai:gpt-4o-mini@http://127.0.0.1:8000/v1'), {
      policy: 'openai:gpt-4o-mini',
      server: '127.0.0.1:8000',
    });
    assert.deepEqual(splitPolicy('openai:gpt-4o-mini'), { policy: 'openai:gpt-4o-mini' });
    assert.deepEqual(splitPolicy('recorded:tasks/examples'), { policy: 'recorded:tasks/examples' });
  });

  test('a compaction reads as one line and leaves its copy of the request out of the detail', () => {
    const event = toPlaybackEvent({
      kind: 'compaction',
      at: '2026-12-02T09:05:00.000Z',
      after_turn: 12,
      data: {
        strategy: 'sliding_window',
        turns_elided: 5,
        estimated_tokens_before: 90000,
        estimated_tokens_after: 40000,
        request: [{ role: 'system', content: 'x'.repeat(10000) }],
      },
    });
    assert.equal(event.afterTurn, 12);
    assert.equal(event.isError, false);
    assert.equal(
      event.summary,
      'Context compacted (sliding_window): 5 turns left out of the request, about 90000 → 40000 tokens',
    );
    assert.ok(event.detail && !event.detail.includes('request') && event.detail.includes('turns_elided'));
  });

  test('errors are marked as errors by their kind, with their first line', () => {
    const judge = toPlaybackEvent({
      kind: 'judge_error',
      at: '2026-12-02T09:05:00.000Z',
      after_turn: 3,
      data: { error: "the judge's model failed: 503\nstack…" },
    });
    assert.equal(judge.isError, true);
    assert.equal(judge.summary, "Judge error: the judge's model failed: 503");
    assert.equal(toPlaybackEvent({ kind: 'error', at: '', after_turn: 0 }).isError, true);
    assert.equal(toPlaybackEvent({ kind: 'user_status_malformed', at: '', after_turn: 1, data: {} }).isError, true);
    assert.equal(toPlaybackEvent({ kind: 'resumed', at: '', after_turn: 4 }).summary, 'Run resumed from its log');
    const afterCancel = { kind: 'resumed', at: '', after_turn: 4, data: { cancelled: { at: '', reason: 'x' } } };
    assert.equal(toPlaybackEvent(afterCancel).summary, 'Run resumed from its log after it was cancelled');
  });

  test('simulated user and judge events name the round, status and verdict', () => {
    assert.equal(
      toPlaybackEvent({
        kind: 'user_feedback',
        at: '',
        after_turn: 6,
        data: { round: 2, status: 'NOT_SATISFIED', reason: 'the fix breaks\nthe build' },
      }).summary,
      'Simulated user, round 2: NOT_SATISFIED — the fix breaks',
    );
    assert.equal(
      toPlaybackEvent({ kind: 'judge_verdict', at: '', after_turn: 9, data: { verdict: 'CORRECT', reward: 1 } })
        .summary,
      'Judge: CORRECT (reward 1)',
    );
  });
});
