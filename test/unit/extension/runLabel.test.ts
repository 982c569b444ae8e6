import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunIndexEntry } from '../../../src/core/trajectory/runIndex';
import { describeRun, formatStartTime, runRow } from '../../../src/extension/views/runLabel';

const entry = (overrides: Partial<RunIndexEntry> = {}): RunIndexEntry => ({
  run_id: 'django__django-11099-a1b2',
  task_id: 'django__django-11099',
  attempt: 1,
  policy: 'openai:gpt-4o-mini',
  path: 'django__django-11099-a1b2/trajectory.jsonl',
  status: 'submitted',
  started_at: new Date(2026, 11, 2, 9, 5).toISOString(),
  ended_at: new Date(2026, 11, 2, 9, 17).toISOString(),
  turns: 12,
  reward: 0.5,
  ...overrides,
});

describe('run rows of the Runs view', () => {
  test('put the outcome first, so a narrow view cuts the least useful part', () => {
    assert.equal(describeRun(entry()), 'reward 0.50 · submitted · 12 turns');
    assert.equal(describeRun(entry({ reward: 1 })), 'reward 1 · submitted · 12 turns');
    assert.equal(describeRun(entry({ reward: null, status: 'infra_error' })), 'reward n/a · infra_error · 12 turns');
    assert.equal(
      describeRun(entry({ status: 'running', reward: undefined, turns: undefined, ended_at: undefined })),
      'running',
    );
  });

  test('tell two runs of a task apart by attempt (counted from 1), policy and start time', () => {
    const now = new Date(2026, 11, 2, 18, 0);
    const first = runRow(entry({ attempt: 0 }), now, false);
    const second = runRow(entry({ attempt: 1, policy: 'recorded:tasks/examples' }), now, false);
    assert.equal(first.label, 'django__django-11099');
    assert.equal(first.description, 'reward 0.50 · submitted · 12 turns · attempt 1 · openai:gpt-4o-mini · 09:05');
    assert.equal(
      second.description,
      'reward 0.50 · submitted · 12 turns · attempt 2 · recorded:tasks/examples · 09:05',
    );
    assert.match(first.tooltip, /^django__django-11099-a1b2\n/);
    assert.match(first.tooltip, /\nended /);
  });

  test('say that a run left "running" by a crash is not being recorded', () => {
    const stale = runRow(entry({ status: 'running', reward: undefined, ended_at: undefined }), new Date(), true);
    assert.match(stale.description, /^not finished \(no rollout is recording it here\) · attempt 2/);
  });

  test('give the start time as the clock today, the day this year, the year before that', () => {
    const now = new Date(2026, 11, 2, 18, 0);
    assert.equal(formatStartTime(new Date(2026, 11, 2, 7, 3), now), '07:03');
    assert.equal(formatStartTime(new Date(2026, 10, 30, 23, 59), now), '30 Nov 23:59');
    assert.equal(formatStartTime(new Date(2025, 11, 2, 7, 3), now), '2 Dec 2025');
    assert.equal(formatStartTime(new Date('not a date'), now), 'start time unknown');
  });
});
