import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { commands } from '../../../src/cli/commands/index';
import { DEFAULT_AGENT_CONFIG, describeLimits } from '../../../src/core/agent/config';
import { DEFAULT_USER_ROUNDS } from '../../../src/core/agent/protocols/protocol';
import { runCaptured } from '../../support/cliCapture';

const ROOT = join(__dirname, '..', '..', '..', '..');

test("VS Code's run limits default to the core's, the ones the CLI uses", () => {
  const declared = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).contributes.configuration.properties;
  const defaultOf = (name: string) => declared[`rolloutStudio.${name}`]?.default;
  assert.deepEqual(
    {
      maxTurns: defaultOf('budget.maxTurns'),
      maxTokens: defaultOf('budget.maxTokens'),
      maxCostUsd: defaultOf('budget.maxCostUsd'),
      minutes: defaultOf('budget.timeLimitMinutes'),
      userRounds: defaultOf('cab.userRounds'),
    },
    {
      maxTurns: DEFAULT_AGENT_CONFIG.maxTurns,
      maxTokens: DEFAULT_AGENT_CONFIG.maxTokens,
      maxCostUsd: DEFAULT_AGENT_CONFIG.maxCostUsd,
      minutes: DEFAULT_AGENT_CONFIG.maxWallMs / 60_000,
      userRounds: DEFAULT_USER_ROUNDS,
    },
  );
});

test('rollout run --help states every limit of a rollout with its default', async () => {
  const { code, out } = await runCaptured(await commands.run(), ['--help']);
  assert.equal(code, 0);
  assert.ok(out.includes(describeLimits(DEFAULT_AGENT_CONFIG)), out);
  assert.equal(describeLimits(DEFAULT_AGENT_CONFIG), '30 turns, 2,000,000 tokens, $5.00, 30 minutes');
});
