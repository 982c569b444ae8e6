import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withoutBinaryFiles } from '../../../src/core/reward/evaluator';
import { asTestOutput, gradeLog } from '../../../src/core/reward/gradeTask';
import { SWE_BENCH_PRO_RESULTS_MARKERS } from '../../../src/core/reward/logParsers/sweBenchPro';
import { LogParseError } from '../../../src/core/reward/testStatus';
import { loadTasksStrict } from '../../../src/core/task/loadTasks';

/**
 * SWE-bench Pro's harness decides each instance from the results its parser wrote; what it decided on our cases
 * (test/fixtures/swe-bench-pro/parity, SOURCE.md there) is what Rollout Studio must decide on the same results.
 */
const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'swe-bench-pro', 'parity');

const outputs = JSON.parse(readFileSync(join(FIXTURES, 'outputs.json'), 'utf8')) as Record<string, unknown>;
const verdicts = JSON.parse(readFileSync(join(FIXTURES, 'harness-results.json'), 'utf8')) as Record<string, boolean>;

/** The cases as a task file beside a `run_scripts` folder, as in a checkout of the harness. */
function taskFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'swe-bench-pro-parity-'));
  const rows = readFileSync(join(FIXTURES, 'cases.jsonl'), 'utf8').trim().split('\n');
  const withStatements = rows.map((line) => {
    const row = JSON.parse(line) as Record<string, unknown>;
    const scripts = join(dir, 'run_scripts', row.instance_id as string);
    mkdirSync(scripts, { recursive: true });
    writeFileSync(join(scripts, 'run_script.sh'), 'python -m pytest "$1"\n');
    writeFileSync(join(scripts, 'parser.py'), 'import sys\n');
    return JSON.stringify({ ...row, problem_statement: row.description });
  });
  writeFileSync(join(dir, 'cases.jsonl'), withStatements.join('\n'));
  return join(dir, 'cases.jsonl');
}

/** What the test command prints: the parser's output.json between the results markers (nothing when it wrote none). */
function testOutput(output: unknown): string {
  const results = output === null ? '' : `${JSON.stringify(output, null, 2)}\n`;
  const { start, end } = SWE_BENCH_PRO_RESULTS_MARKERS;
  return asTestOutput(`runner output\n${start}\n${results}${end}\n`, 0);
}

describe("SWE-bench Pro: resolved exactly where the SWE-bench Pro harness says so (the harness's verdicts)", () => {
  test('every case, by its verdict', async () => {
    const tasks = await loadTasksStrict(taskFile());
    assert.equal(tasks.length, Object.keys(verdicts).length);
    for (const task of tasks) {
      const grade = await gradeLog(task, testOutput(outputs[task.id]), {}).catch((error: Error) => error);
      // A parser that wrote no output.json: the harness counts the instance unresolved; the log alone is not graded
      // here, and so not resolved either (the evaluator runs the tests without the patch to tell whose failure it is:
      // the patch's is unresolved, integration/sandbox/sweBenchProRun.test.ts).
      if (outputs[task.id] === null) assert.ok(grade instanceof LogParseError, task.id);
      const resolved = grade instanceof Error ? false : grade.report[task.id].resolved;
      assert.equal(resolved, verdicts[task.id], `${task.id}: ${JSON.stringify(grade)}`);
    }
  });

  test("the model's patch loses its binary files' sections as the harness strips them", () => {
    const cases = JSON.parse(readFileSync(join(FIXTURES, '..', 'binary-hunks.json'), 'utf8')) as {
      case: string;
      patch: string;
      harness: string;
    }[];
    for (const { case: name, patch, harness } of cases) assert.equal(withoutBinaryFiles(patch), harness, name);
  });
});
