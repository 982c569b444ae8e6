import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheKey } from '../../../src/core/reward/evalRun';
import { gradeLog } from '../../../src/core/reward/gradeTask';
import { CURRENT_HARNESS_VERSION } from '../../../src/core/reward/harnessVersion';
import { universalNewlines } from '../../../src/core/reward/logParsers/text';
import { harnessName, readWithHarness, requireHarnessParser } from '../../../src/core/reward/multiSweBenchHarness';
import { TEST_OUTPUT_MARKERS } from '../../../src/core/reward/testOutput';
import { LogParseError } from '../../../src/core/reward/testStatus';
import { multiSweBenchRowToTask, rangeOrReleaseName } from '../../../src/core/task/multiSweBenchSource';
import type { HarnessPullRequest, Task } from '../../../src/core/task/task';
import { taskImage, taskSandbox } from '../../../src/core/task/taskSandbox';
import {
  HARNESS_RECORDING,
  standInWithParserEdited,
  pythonWithHarness,
  pythonWithoutHarness,
  withHarnessPython,
} from '../../support/harnessPython';
import { fixture } from '../task/fixturePaths';

interface RecordedCase {
  pull_request: HarnessPullRequest;
  log: string;
  reading: { passed?: string[]; failed?: string[]; skipped?: string[]; error?: string };
}

const recording = JSON.parse(readFileSync(HARNESS_RECORDING, 'utf8')) as { commit: string; cases: RecordedCase[] };
const rows = readFileSync(fixture('multi-swe-bench', 'image-rows.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Record<string, unknown>);

function taskOf(pullRequest: HarnessPullRequest): Task {
  const row = rows.find((candidate) => candidate.org === pullRequest.org && candidate.number === pullRequest.number);
  assert.ok(row, `${pullRequest.org} #${pullRequest.number}: not in image-rows.jsonl`);
  return multiSweBenchRowToTask(row);
}

const settings = { imageForProfile: (profile: string) => `rollout/${profile}` };

describe("Multi-SWE-bench's harness reads the rows of its ranges and releases", () => {
  const standIn = pythonWithHarness();

  test("a range or release row with no spec is read by the harness's own parser; a spec names another", () => {
    const task = taskOf(recording.cases[0].pull_request);
    const name = rangeOrReleaseName(task);
    assert.ok(name, 'the recording is of a range or release row');
    assert.equal(taskImage(task, settings).environment.logParser, 'mswebench_harness');
    const specs = { [name]: { test_framework: 'pytest' } };
    assert.equal(taskImage(task, { ...settings, specs }).environment.logParser, 'pytest');
  });

  test(`the stand-in for the installed harness gives each log the reading the real one gave (at ${recording.commit.slice(0, 8)})`, () =>
    withHarnessPython(standIn, async () => {
      const byRow = new Map<string, RecordedCase[]>();
      for (const entry of recording.cases) {
        const key = JSON.stringify(entry.pull_request);
        byRow.set(key, [...(byRow.get(key) ?? []), entry]);
      }
      assert.ok(byRow.size >= 30, 'the recording covers the rows of many ranges and releases');
      for (const cases of byRow.values()) {
        const task = taskOf(cases[0].pull_request);
        await requireHarnessParser(task);
        const logs = cases.map((entry) => universalNewlines(readFileSync(fixture(entry.log), 'utf8')));
        const readings = await readWithHarness(task, logs);
        for (const [index, entry] of cases.entries()) {
          const reading = readings.get(logs[index]);
          const where = `${harnessName(task)}: ${entry.log}`;
          if (entry.reading.error !== undefined) {
            assert.ok(reading instanceof LogParseError, `${where}: the harness refused it`);
            assert.match(reading.message, /^Multi-SWE-bench's parser refused the log: /);
            assert.ok(reading.message.endsWith(entry.reading.error), where);
            continue;
          }
          assert.ok(reading instanceof Map, `${where}: read`);
          const expected = [
            ...(entry.reading.passed ?? []).map((test) => [test, 'PASSED']),
            ...(entry.reading.failed ?? []).map((test) => [test, 'FAILED']),
            ...(entry.reading.skipped ?? []).map((test) => [test, 'SKIPPED']),
          ];
          assert.deepEqual(Object.fromEntries(reading), Object.fromEntries(expected), where);
        }
      }
    }));

  test("a log is graded by the harness's reading: resolved, unresolved, or refused with no report", () =>
    withHarnessPython(standIn, async () => {
      const read = recording.cases.find(
        (entry) => (entry.reading.passed?.length ?? 0) > 1 && entry.reading.failed?.length,
      );
      const refused = recording.cases.find((entry) => entry.reading.error);
      assert.ok(read && refused, 'the recording has a log read with passes and failures, and one refused');
      // The harness read the recorded log as it is: here it is the test command's output, between the markers.
      const testOutput = (log: string) =>
        `${TEST_OUTPUT_MARKERS.start}${log}${TEST_OUTPUT_MARKERS.end}\n${TEST_OUTPUT_MARKERS.exitCode}: 1\n`;
      const grade = (graded: Task, entry: RecordedCase) =>
        gradeLog(graded, testOutput(readFileSync(fixture(entry.log), 'utf8')), {
          harnessVersion: CURRENT_HARNESS_VERSION,
        });
      const [passed, alsoPassed] = read.reading.passed ?? [];
      const task = { ...taskOf(read.pull_request), failToPass: [passed], passToPass: [alsoPassed] };
      const resolved = await grade(task, read);
      assert.equal(resolved.log_parser, 'mswebench_harness');
      assert.equal(resolved.resolution, 'RESOLVED_FULL');
      const failing = (read.reading.failed ?? [])[0];
      assert.equal((await grade({ ...task, failToPass: [failing] }, read)).resolution, 'RESOLVED_NO');
      await assert.rejects(grade(taskOf(refused.pull_request), refused), LogParseError);
    }));

  test("a run's sandbox for such a row is planned in the row's image once the harness has a parser for it", () =>
    withHarnessPython(standIn, async () => {
      const task = taskOf(recording.cases[0].pull_request);
      const { spec, environment } = await taskSandbox(task, settings, 'agent');
      assert.equal(environment.logParser, 'mswebench_harness');
      assert.equal(spec.image, task.instance?.image);
      assert.equal(spec.instance?.hideHistory, 'later', "the agent's sandbox holds no history past the base");
      const grading = await taskSandbox(task, settings, 'grading');
      assert.equal(grading.spec.instance?.hideHistory, undefined, "the grader's keeps it");
    }));

  test('a row whose name the installed harness does not register is refused before it runs, naming the name', () =>
    withHarnessPython(standIn, async () => {
      const task = taskOf(recording.cases[0].pull_request);
      const pullRequest = { ...recording.cases[0].pull_request, org: 'someone', number_interval: 'else_9_to_1' };
      const unregistered = { ...task, harnessPullRequest: pullRequest };
      await assert.rejects(
        requireHarnessParser(unregistered),
        /Multi-SWE-bench's harness in .*python-with-harness registers no parser for someone\/else_9_to_1; or pass --specs FILE with a test_framework for someone\/else_9_to_1/,
      );
    }));
});

describe("Multi-SWE-bench's harness where it is not installed", () => {
  const noHarness = pythonWithoutHarness();

  test('a run refuses a row only the harness reads, saying how to install it or name a parser', () =>
    withHarnessPython(noHarness, async () => {
      const task = taskOf(recording.cases[0].pull_request);
      await assert.rejects(
        requireHarnessParser(task),
        new RegExp(
          `task ${task.id}: its test logs are read by Multi-SWE-bench's own parser for ${harnessName(task)}, and the harness is not usable: .*cannot import Multi-SWE-bench's harness.*pip install multi-swe-bench.*--specs FILE with a test_framework for ${harnessName(task)}`,
        ),
      );
      await assert.rejects(
        taskSandbox(task, settings, 'agent'),
        /its test logs are read by Multi-SWE-bench's own parser/,
      );
      await assert.rejects(
        readWithHarness(task, ['log']),
        new RegExp(
          `task ${task.id}: Multi-SWE-bench's harness could not read its test logs: the harness is not installed`,
        ),
      );
    }));
});

describe("Multi-SWE-bench's harness as one process that reads on request", () => {
  const startsIn = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').length - 1 : 0);
  const recorded = recording.cases[0];
  const logOf = (entry: RecordedCase) => universalNewlines(readFileSync(fixture(entry.log), 'utf8'));

  test('the harness is imported once for the check before a run and every reading after it', async () => {
    const startLog = join(mkdtempSync(join(tmpdir(), 'rollout-harness-')), 'starts');
    await withHarnessPython(pythonWithHarness({ startLog }), async () => {
      const task = taskOf(recorded.pull_request);
      await requireHarnessParser(task);
      const readings = await Promise.all([1, 2, 3].map(() => readWithHarness(task, [logOf(recorded)])));
      for (const reading of readings) assert.ok(reading.get(logOf(recorded)) instanceof Map);
    });
    assert.equal(startsIn(startLog), 1);
  });

  test('a harness that dies while reading is an infrastructure error, and the next reading starts another', async () => {
    const startLog = join(mkdtempSync(join(tmpdir(), 'rollout-harness-')), 'starts');
    await withHarnessPython(pythonWithHarness({ startLog, diesOnFirstReading: true }), async () => {
      const task = taskOf(recorded.pull_request);
      await assert.rejects(
        readWithHarness(task, [logOf(recorded)]),
        new RegExp(`task ${task.id}: Multi-SWE-bench's harness could not read its test logs: .* exited 9`),
      );
      const reading = (await readWithHarness(task, [logOf(recorded)])).get(logOf(recorded));
      assert.ok(reading instanceof Map);
    });
    assert.equal(startsIn(startLog), 2);
  });

  test('a program that had the harness read ends when it is done, though the harness waits for more', async () => {
    const child = join(__dirname, 'harnessReading.child.js');
    const env = { ...process.env, ROLLOUT_HARNESS_PYTHON: pythonWithHarness() };
    // Were the harness to hold it open, the program would run into the time limit and the call would fail.
    const { stdout } = await promisify(execFile)(process.execPath, [child], { env, timeout: 30_000 });
    const read = recording.cases.find((entry) => entry.reading.passed?.length)?.reading;
    const tests = [...(read?.passed ?? []), ...(read?.failed ?? []), ...(read?.skipped ?? [])];
    assert.equal(stdout, `${tests.length}\n`);
  });

  test('an evaluation is reused only while the same harness code reads its logs', async () => {
    const task = taskOf(recorded.pull_request);
    const prediction = { instanceId: task.id, modelName: 'm', patch: 'diff' };
    const options = { ...settings, createSandbox: () => Promise.reject(new Error('no sandbox is needed')) };
    const keyWith = (python: string) => withHarnessPython(python, () => cacheKey(task, prediction, options));
    const key = await keyWith(pythonWithHarness());
    assert.equal(await keyWith(pythonWithHarness()), key, 'another process of the same harness');
    assert.notEqual(await keyWith(pythonWithHarness({ standIn: standInWithParserEdited() })), key, 'a parser changed');
    assert.notEqual(await keyWith(pythonWithoutHarness()), key, 'no harness');
  });
});
