import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_AGENT_CONFIG } from '../../../src/core/agent/config';
import type { RunMetadata } from '../../../src/core/trajectory/types';
import { runAgainPlan } from '../../../src/extension/commands/runAgainPlan';

/** A run as the recorder writes it: its limits in `extra.agent_config`, JSON's null for no limit. */
function recordedRun(agentConfig?: Record<string, unknown>): RunMetadata {
  return {
    run_id: 'calc-1.a0.abc123',
    task_id: 'calc-1',
    attempt: 0,
    policy: 'openai:gpt-4o-mini',
    model: { name: 'gpt-4o-mini', parameters: {} },
    tools: [],
    tool_versions: {},
    started_at: '2026-12-02T12:00:00.000Z',
    extra: agentConfig ? { agent_config: agentConfig } : {},
  };
}

const given = {
  ...DEFAULT_AGENT_CONFIG,
  maxTurns: 7,
  maxCostUsd: null,
  maxWallMs: 5 * 60_000,
  commandTimeoutMs: 30_000,
  // a setting older logs recorded beside the limits; not a limit now
  keepRecentTurns: 8,
};
const settingsDefaults = {
  compaction: DEFAULT_AGENT_CONFIG.compaction,
  maxTurns: DEFAULT_AGENT_CONFIG.maxTurns,
  maxTokens: DEFAULT_AGENT_CONFIG.maxTokens,
  maxCostUsd: DEFAULT_AGENT_CONFIG.maxCostUsd,
  maxWallMs: DEFAULT_AGENT_CONFIG.maxWallMs,
};

describe('Run Again', () => {
  test('reruns with exactly the limits the run was given, no limit included, and says which', () => {
    const plan = runAgainPlan(
      recordedRun(given),
      'openai:gpt-4o-mini',
      { ...settingsDefaults, ...given, maxCostUsd: Infinity },
      undefined,
    );
    assert.deepEqual(plan.limits, {
      maxTurns: 7,
      maxTokens: 2_000_000,
      maxCostUsd: Number.POSITIVE_INFINITY,
      maxWallMs: 300_000,
      maxConsecutiveFormatErrors: 3,
      commandTimeoutMs: 30_000,
      compaction: 'sliding-window',
    });
    assert.equal(plan.question, undefined, 'nothing differs: it runs without asking');
    assert.equal(
      plan.reused,
      'the limits run calc-1.a0.abc123 was given (7 turns, 2,000,000 tokens, no cost limit, 5 minutes, 3 unusable replies in a row, 30 s per command, sliding-window compaction)',
    );
  });

  test("asks when the settings' budget differs, naming the settings' limits and the run's", () => {
    const plan = runAgainPlan(recordedRun(given), 'openai:gpt-4o-mini', settingsDefaults, undefined);
    assert.equal(
      plan.question,
      `Run calc-1 again with openai:gpt-4o-mini and ${plan.reused}? The settings now give 30 turns, $5.00, 30 minutes; the run had 7 turns, no cost limit, 5 minutes.`,
    );
    assert.equal(plan.limits.maxTurns, 7, 'the answer Run keeps the recorded limits');
  });

  test("reruns with the model the run used where it can run here, and says it is not the settings'", () => {
    const plan = runAgainPlan(
      recordedRun(given),
      'anthropic:claude-sonnet-4-5',
      { ...given, maxCostUsd: Infinity },
      undefined,
    );
    assert.equal(plan.policySpec, 'openai:gpt-4o-mini');
    assert.equal(plan.question, undefined, 'the limits are the same: it runs without asking');
    assert.equal(
      plan.model,
      'openai:gpt-4o-mini (the model run calc-1.a0.abc123 used; the settings give anthropic:claude-sonnet-4-5)',
    );
  });

  test("asks when the run's model cannot run here, naming why, both policies and the one it takes", () => {
    const plan = runAgainPlan(
      recordedRun(given),
      'anthropic:claude-sonnet-4-5',
      { ...given, maxCostUsd: Infinity },
      'no API key is stored for the default endpoint',
    );
    assert.equal(plan.policySpec, 'anthropic:claude-sonnet-4-5');
    assert.equal(plan.model, 'anthropic:claude-sonnet-4-5');
    assert.match(
      plan.question ?? '',
      /^Run calc-1\.a0\.abc123 was recorded with openai:gpt-4o-mini, which cannot run again here \(no API key is stored for the default endpoint\); the model settings now give anthropic:claude-sonnet-4-5\. Run calc-1 again with anthropic:claude-sonnet-4-5 and the limits run calc-1\.a0\.abc123 was given \(7 turns, .*\)\?$/,
    );
  });

  test("a run recorded without limits runs with the settings' and says so", () => {
    const plan = runAgainPlan(recordedRun(), 'openai:gpt-4o-mini', { ...settingsDefaults, maxTurns: 12 }, undefined);
    assert.deepEqual(plan.limits, {});
    assert.equal(plan.question, undefined);
    assert.equal(
      plan.reused,
      "the settings' limits (12 turns, 2,000,000 tokens, $5.00, 30 minutes, 3 unusable replies in a row, 120 s per command, sliding-window compaction; run calc-1.a0.abc123 recorded none)",
    );
  });
});
