// A program that has the harness read one recorded log and then has nothing left to do, so that it ends unless
// the harness holds it open. ROLLOUT_HARNESS_PYTHON names the harness; prints how many tests it read in the first
// recorded log with passing tests.
import { readFileSync } from 'node:fs';
import { readWithHarness } from '../../../src/core/reward/multiSweBenchHarness';
import type { HarnessPullRequest, Task } from '../../../src/core/task/task';
import { HARNESS_RECORDING } from '../../support/harnessPython';
import { fixture } from '../task/fixturePaths';

const recording = JSON.parse(readFileSync(HARNESS_RECORDING, 'utf8')) as {
  cases: { pull_request: HarnessPullRequest; log: string; reading: { passed?: string[] } }[];
};
const recorded = recording.cases.find((entry) => entry.reading.passed?.length);
if (!recorded) throw new Error('the recording has no log read with passing tests');
const log = readFileSync(fixture(recorded.log), 'utf8');
const task = { id: 'recorded', harnessPullRequest: recorded.pull_request } as Task;

void readWithHarness(task, [log]).then((readings) => {
  const reading = readings.get(log);
  process.stdout.write(`${reading instanceof Map ? reading.size : 'refused'}\n`);
});
