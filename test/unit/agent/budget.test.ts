import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COST_UNKNOWN_EVENT, RunBudget } from '../../../src/core/agent/budget';
import { DEFAULT_AGENT_CONFIG } from '../../../src/core/agent/config';
import type { RunEvent, Turn } from '../../../src/core/trajectory/types';
import { sampleTurn } from '../trajectory/sampleTrajectory';

const LIMITS = { ...DEFAULT_AGENT_CONFIG, maxCostUsd: 1 };
const call = (cost: number | undefined, tokens = 100) => ({
  usage: { promptTokens: tokens, completionTokens: 10 },
  ...(cost === undefined ? {} : { cost }),
  modelMs: 5,
  model: 'local-model',
});

function recording() {
  const events: { kind: string; data: Record<string, unknown> }[] = [];
  return {
    events,
    recordEvent: async (kind: string, data: Record<string, unknown>) => void events.push({ kind, data }),
  };
}

describe('run budget', () => {
  test('priced calls of every role add up, and the cost limit stops the run', async () => {
    const budget = new RunBudget(LIMITS);
    await budget.charge('agent', call(0.4));
    await budget.charge('summary', call(0.3));
    assert.equal(budget.exhausted(), undefined);
    const judged = await budget.charge('judge', call(0.3));
    assert.deepEqual(judged, { role: 'judge', calls: 1, tokens_in: 100, tokens_out: 10, cost_usd: 0.3, model_ms: 5 });
    assert.equal(budget.costKnown, true);
    assert.equal(budget.beyondTurnsUsage.cost_usd, 0.6);
    assert.equal(budget.exhausted()?.exitStatus, 'cost_limit');
  });

  test('a call without a cost makes the cost unknown and is said once, naming the cost limit it escapes', async () => {
    const { events, recordEvent } = recording();
    const budget = new RunBudget(LIMITS, { recordEvent });
    await budget.charge('agent', call(0.1));
    const unpriced = await budget.charge('user', call(undefined));
    await budget.charge('agent', call(undefined));
    assert.equal(unpriced.cost_usd, null);
    assert.equal(budget.costKnown, false);
    assert.equal(events.length, 1);
    assert.equal(events[0].kind, COST_UNKNOWN_EVENT);
    assert.equal(events[0].data.role, 'user');
    assert.equal(events[0].data.cost_limit_usd, 1);
    assert.match(
      String(events[0].data.message),
      /\(local-model\) has no cost .*--price-input.*\$1 cost limit counts only/,
    );
  });

  test('a resumed run keeps what its record says: summaries and protocol calls spent, costs that were unknown', () => {
    const priced: Turn = { ...sampleTurn(0), index: 0, cost_usd: 0.2 };
    const events: RunEvent[] = [
      { kind: 'compaction', at: '', after_turn: 1, data: { usage: { role: 'summary', ...usageOf(0.25) } } },
      { kind: 'user_feedback', at: '', after_turn: 1, data: { usage: { role: 'user', ...usageOf(0.5) } } },
    ];
    const known = RunBudget.restore(LIMITS, { turns: [priced], events });
    assert.equal(known.costKnown, true);
    assert.deepEqual(known.beyondTurnsUsage, {
      calls: 2,
      tokens_in: 200,
      tokens_out: 20,
      cost_usd: 0.75,
      model_ms: 10,
    });

    const unpricedTurn: Turn = { ...sampleTurn(1), index: 1, cost_usd: undefined };
    assert.equal(RunBudget.restore(LIMITS, { turns: [priced, unpricedTurn], events }).costKnown, false);
    const unpricedUser: RunEvent = {
      kind: 'user_feedback',
      at: '',
      after_turn: 1,
      data: { usage: { role: 'user', ...usageOf(0), cost_usd: null } },
    };
    assert.equal(RunBudget.restore(LIMITS, { turns: [priced], events: [unpricedUser] }).costKnown, false);
  });

  test('a resumed run that already said its cost is unknown does not say it again', async () => {
    const { events, recordEvent } = recording();
    const said: RunEvent = { kind: COST_UNKNOWN_EVENT, at: '', after_turn: 0, data: {} };
    const budget = RunBudget.restore(LIMITS, { turns: [], events: [said] }, { recordEvent });
    await budget.charge('agent', call(undefined));
    assert.deepEqual(events, []);
  });
});

function usageOf(cost: number) {
  return { calls: 1, tokens_in: 100, tokens_out: 10, cost_usd: cost, model_ms: 5 };
}
