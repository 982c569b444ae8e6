import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gradeLog } from '../../../src/core/reward/gradeTask';
import { environmentFor, testCommandFor } from '../../../src/core/task/environment';
import { instanceImage } from '../../../src/core/task/instanceImages';
import { loadTasksStrict } from '../../../src/core/task/loadTasks';
import { SweBenchSource } from '../../../src/core/task/sweBenchSource';
import type { Task } from '../../../src/core/task/task';

/**
 * SWE-rebench rows (test/fixtures/swe-rebench, SOURCE.md there): their `install_config` says how they are tested,
 * and SWE-rebench's own harness (its fork of SWE-bench) grades them. What that harness wrote and returned on the
 * rows and on the grading corpus's logs is what Rollout Studio must write and return.
 */
const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'swe-rebench');

interface RebenchCase {
  id: string;
  instance_id: string;
  log: string;
  patch_is_none?: boolean;
}

interface HarnessReading {
  case: string;
  status_map?: Record<string, string>;
  report?: Record<string, unknown>;
  resolution?: string | null;
  error?: string;
}

const readings = JSON.parse(readFileSync(join(FIXTURES, 'readings.json'), 'utf8')) as {
  scripts: Record<string, { eval_script_list: string[]; image: string }>;
  cases: HarnessReading[];
};
const cases = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as RebenchCase[];

/** The lines of the harness's script that are its own in every script (activation, git's record, markers). */
const HARNESS_LINE =
  /^(source \/opt\/miniconda3\/bin\/activate|conda activate testbed|cd \/testbed|git config |git status|git show|git -c core\.fileMode=false diff |git checkout [0-9a-f]{40} |git apply -v - <<|: '>>>>> )/;

async function rows(): Promise<Map<string, Task>> {
  return new Map((await loadTasksStrict(join(FIXTURES, 'rows.jsonl'))).map((task) => [task.id, task]));
}

describe("SWE-rebench rows, as SWE-rebench's harness tests and grades them", () => {
  test('every row loads as a SWE-rebench task graded by its own harness', async () => {
    const tasks = await rows();
    assert.equal(tasks.size, Object.keys(readings.scripts).length);
    for (const task of tasks.values()) assert.deepEqual([task.dataset, task.harness], ['swe-rebench', 'swe-rebench']);
  });

  test("each row's test command, the commands before it and its image are those of the harness's script", async () => {
    for (const [id, task] of await rows()) {
      const script = readings.scripts[id].eval_script_list;
      const environment = environmentFor(task);
      const start = script.indexOf(": '>>>>> Start Test Output'");
      assert.equal(testCommandFor(environment, task), script[start + 1], id);
      const own = script.slice(0, start).filter((line) => !HARNESS_LINE.test(line));
      assert.deepEqual(environment.install, own, id);
      assert.equal(instanceImage(task)?.replace(/(:latest)?$/, ':latest'), readings.scripts[id].image, id);
    }
  });

  test('every log is graded as the harness graded it: report, status map and resolution, with no release named', async () => {
    const tasks = await rows();
    const mismatches: string[] = [];
    for (const [index, entry] of cases.entries()) {
      const reading = readings.cases[index];
      assert.equal(reading.case, entry.id);
      const task = tasks.get(entry.instance_id)!;
      const log = readFileSync(join(FIXTURES, entry.log), 'utf8');
      const grade = await gradeLog(task, log, { noPatch: entry.patch_is_none });
      assert.equal(grade.harness_version, 4, 'graded as 4.x, the release the fork is of');
      const ours = { report: grade.report[task.id], resolution: grade.resolution };
      const theirs = { report: reading.report, resolution: reading.resolution };
      if (JSON.stringify(ours) !== JSON.stringify(theirs))
        mismatches.push(`${entry.id}: ${JSON.stringify(ours)} ≠ harness ${JSON.stringify(theirs)}`);
      else if (!entry.patch_is_none && grade.report[task.id].patch_successfully_applied)
        assert.deepEqual(grade.status_map, reading.status_map, entry.id);
    }
    assert.deepEqual(mismatches, []);
  });

  test('a row whose install_config has no test command or no log parser is refused, naming the field', async () => {
    const [first] = readFileSync(join(FIXTURES, 'rows.jsonl'), 'utf8').split('\n');
    const row = JSON.parse(first) as { install_config: Record<string, unknown> };
    const broken: [field: string, config: unknown][] = [
      ['install_config.test_cmd', { ...row.install_config, test_cmd: '' }],
      ['install_config.log_parser', { ...row.install_config, log_parser: undefined }],
      ['install_config.log_parser', { ...row.install_config, log_parser: 'parse_log_nothing' }],
      ['install_config', '[1, 2]'],
    ];
    const file = join(mkdtempSync(join(tmpdir(), 'rebench-rows-')), 'rows.jsonl');
    writeFileSync(file, broken.map(([, config]) => JSON.stringify({ ...row, install_config: config })).join('\n'));
    const loaded = await new SweBenchSource().load(file);
    assert.equal(loaded.tasks.length, 0);
    assert.deepEqual(
      loaded.errors.map((error) => [error.line, error.field]),
      broken.map(([field], index) => [index + 1, field]),
    );
  });
});
