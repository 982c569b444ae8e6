import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXPORT_FORMATS, exportDataset } from '../../../src/core/export/exporter';
import type { ExportFormatName } from '../../../src/core/export/format';
import { TrajectoryRecorder } from '../../../src/core/trajectory/recorder';
import { Redactor } from '../../../src/core/trajectory/redact';
import { sampleResult, sampleRun, sampleTurn } from '../trajectory/sampleTrajectory';

/** Writes lines as they are: a log recorded elsewhere, or before these secrets were known. */
class NoRedaction extends Redactor {
  override redactText(text: string): string {
    return text;
  }
  override redactSecrets(text: string): string {
    return text;
  }
}

const CONFIGURED_KEY = 'cfg-key-PLANTED-7f3a9c2e41d8b6';
const ENV_NAME = 'ROLLOUT_TEST_DBPASSWORD';
const ENV_VALUE = 'env-value-PLANTED-93f1c0de';
const SHAPED = {
  github: 'ghp_PLANTEDaBcDeFgHiJkLmNoPqRsTuVwXyZ012345',
  aws: 'AKIAZ3MHALFKQX7NYB2C',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJQTEFOVEVEIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
};
const PLANTED = [CONFIGURED_KEY, ENV_VALUE, ...Object.values(SHAPED)];

async function plantedRun(out: string, runId: string, attempt: number, reward: number, patchSecret = false) {
  const recorder = await TrajectoryRecorder.start(out, sampleRun(runId, 'task-secret', attempt), {
    redactor: new NoRedaction({ env: {} }),
  });
  const leaky = `key ${CONFIGURED_KEY}\ndb ${ENV_VALUE}\ngh ${SHAPED.github}\naws ${SHAPED.aws}`;
  await recorder.recordTurn(sampleTurn(0, { command: `cat .env # ${attempt} ${CONFIGURED_KEY}`, output: leaky }));
  const second = sampleTurn(1, { output: `token ${SHAPED.jwt} (attempt ${attempt})` });
  second.messages[0].content = `Found ${ENV_VALUE} and ${SHAPED.aws} in the config.`;
  await recorder.recordTurn(second);
  const result = sampleResult(reward);
  if (patchSecret) result.patch += `+API_KEY = "${CONFIGURED_KEY}"\n`;
  await recorder.finish(result);
}

describe('planted secrets never reach an export', () => {
  let runs: string;
  before(async () => {
    process.env[ENV_NAME] = ENV_VALUE;
    runs = mkdtempSync(join(tmpdir(), 'secret-runs-'));
    await plantedRun(runs, 'secret-a0', 0, 1);
    await plantedRun(runs, 'secret-a1', 1, 0);
    await plantedRun(runs, 'secret-a2', 2, 1, true);
  });
  after(() => delete process.env[ENV_NAME]);

  for (const format of Object.keys(EXPORT_FORMATS) as ExportFormatName[]) {
    test(`${format}: 0 planted secrets in any file; the run with a secret in its patch is skipped and counted`, async () => {
      const out = mkdtempSync(join(tmpdir(), `secret-${format}-`));
      const summary = await exportDataset({
        runs: [runs],
        format,
        out,
        command: `rollout export --format ${format}`,
        secrets: [CONFIGURED_KEY],
      });
      assert.equal(summary.stats.skipped.get('secrets_in_patch'), 1);
      assert.ok(summary.stats.rows > 0, 'the other runs were exported');
      for (const file of readdirSync(out)) {
        const text = readFileSync(join(out, file), 'utf8');
        for (const secret of PLANTED) assert.ok(!text.includes(secret), `${secret} is in ${format} ${file}`);
        assert.ok(!text.includes('secret-a2'), `the run with a secret in its patch is in ${format} ${file}`);
      }
    });
  }
});
