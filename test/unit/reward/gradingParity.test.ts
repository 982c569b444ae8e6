import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gradeCommand } from '../../../src/cli/commands/grade';
import { gradeTaskOutput, type LogGrade } from '../../../src/core/reward/gradeTask';
import { parseHarnessVersion } from '../../../src/core/reward/harnessVersion';
import { LOG_PARSER_NAMES, logParserName } from '../../../src/core/reward/logParsers/index';
import { LogParseError } from '../../../src/core/reward/testStatus';
import { logParserFor } from '../../../src/core/task/environment';
import { loadTasksStrict } from '../../../src/core/task/loadTasks';

/**
 * The parity corpus (test/fixtures/grading-parity, README.md there): logs of real and hand-written test
 * runs, the instances they are graded as, and what the SWE-bench harness itself returned on each, run in a
 * scratch copy of its repository. Rollout Studio must give the same status map, report and resolution.
 */
const CORPUS = join(process.cwd(), 'test', 'fixtures', 'grading-parity');

interface ParityCase {
  id: string;
  instance_id: string;
  log: string;
  harness_versions: number[];
  patch_is_none?: boolean;
}

interface HarnessResult {
  case: string;
  harness_version: number;
  status_map?: Record<string, string>;
  found?: boolean;
  report?: Record<string, unknown>;
  resolution?: string | null;
  error?: string;
}

const cases = new Map(
  (JSON.parse(readFileSync(join(CORPUS, 'cases.json'), 'utf8')) as ParityCase[]).map((entry) => [entry.id, entry]),
);
const harness = JSON.parse(readFileSync(join(CORPUS, 'harness-outputs.json'), 'utf8')) as {
  harness: Record<string, { release: string; commit: string; results: HarnessResult[] }>;
};
const results = Object.values(harness.harness).flatMap((release) => release.results);

/** `rollout grade --json …` in this process, its printed JSON and exit code. */
async function rolloutGrade(args: string[]): Promise<{ code: number; output?: LogGrade }> {
  const printed: string[] = [];
  const { log, error } = console;
  console.log = (text: string) => printed.push(text);
  console.error = (text: string) => printed.push(text);
  try {
    const code = await gradeCommand.run(args);
    return { code, output: code === 0 ? (JSON.parse(printed.join('\n')) as LogGrade) : undefined };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('grading parity with the SWE-bench harness on the corpus', () => {
  test('the corpus is complete: over 300 cases, every case graded by each release it names', () => {
    assert.ok(cases.size >= 300, `${cases.size} cases`);
    for (const entry of cases.values())
      for (const version of entry.harness_versions)
        assert.ok(
          results.some((result) => result.case === entry.id && result.harness_version === version),
          `${entry.id}: no harness ${version} result`,
        );
  });

  test("every parser of the harness's registry is read by some case (only Rollout Studio's own are not)", () => {
    const read = new Set(
      readFileSync(join(CORPUS, 'tasks.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => logParserName((JSON.parse(line) as { log_parser: string }).log_parser)),
    );
    const ownParsers = ['unittest', 'node-tap', 'junit-xml'];
    // Multi-SWE-bench's parsers are held to its own harness (multiSweBenchParity.test.ts), SWE-bench Pro's and
    // SWE-rebench-V2's to theirs (sweBenchProParity.test.ts, sweRebenchV2Parity.test.ts).
    const otherHarnesses = (name: string) =>
      name.startsWith('mswebench_') || name === 'swebench_pro' || name === 'swe_rebench_v2_harness';
    assert.deepEqual(
      LOG_PARSER_NAMES.filter((name) => !read.has(name) && !otherHarnesses(name)),
      ownParsers,
    );
  });

  test('the same report.json entry (keys in order), status map and resolution as the harness, case by case', async () => {
    const tasks = new Map((await loadTasksStrict(join(CORPUS, 'tasks.jsonl'))).map((task) => [task.id, task]));
    const mismatches: string[] = [];
    for (const result of results) {
      const entry = cases.get(result.case);
      assert.ok(entry, `${result.case}: not in cases.json`);
      const task = tasks.get(entry.instance_id);
      assert.ok(task, `${entry.instance_id}: not in tasks.jsonl`);
      const log = readFileSync(join(CORPUS, entry.log), 'utf8');
      const where = `${result.case} (harness ${result.harness_version})`;
      const grade = () =>
        gradeTaskOutput(task, log, {
          harnessVersion: parseHarnessVersion(String(result.harness_version)),
          logParser: logParserFor(task),
          patch: entry.patch_is_none ? null : 'diff --git a/x b/x\n',
        });
      if (result.error) {
        await assert.rejects(grade, LogParseError, `${where}: the harness failed on the log (${result.error})`);
        continue;
      }
      const ours = await grade();
      const statusMap = ours.report.patch_successfully_applied ? Object.fromEntries(ours.statuses ?? []) : {};
      if (JSON.stringify(ours.report) !== JSON.stringify(result.report))
        mismatches.push(`${where}: report ${JSON.stringify(ours.report)} ≠ harness ${JSON.stringify(result.report)}`);
      else if (!entry.patch_is_none) {
        try {
          assert.deepEqual(statusMap, result.status_map);
        } catch (error) {
          mismatches.push(`${where}: status map differs: ${(error as Error).message}`);
        }
      }
      if ((ours.resolution ?? null) !== result.resolution)
        mismatches.push(`${where}: resolution ${ours.resolution} ≠ harness ${result.resolution}`);
    }
    assert.deepEqual(mismatches, []);
  });

  test('`rollout grade --json` prints the same status map, report and resolution on every case', async () => {
    const mismatches: string[] = [];
    for (const result of results) {
      const entry = cases.get(result.case) as ParityCase;
      if (entry.patch_is_none) continue;
      const graded = await rolloutGrade([
        '--tasks',
        join(CORPUS, 'tasks.jsonl'),
        '--instance',
        entry.instance_id,
        '--log',
        join(CORPUS, entry.log),
        '--harness-version',
        String(result.harness_version),
        '--json',
      ]);
      const where = `${result.case} (harness ${result.harness_version})`;
      if (result.error) {
        if (graded.code !== 1) mismatches.push(`${where}: exit ${graded.code}, not 1, where the harness failed`);
        continue;
      }
      const output = graded.output;
      if (!output) {
        mismatches.push(`${where}: exit ${graded.code}`);
        continue;
      }
      try {
        assert.deepEqual(output.status_map, result.status_map);
        assert.deepEqual(output.report, { [entry.instance_id]: result.report });
        assert.equal(output.resolution, result.resolution);
      } catch (error) {
        mismatches.push(`${where}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    assert.deepEqual(mismatches, []);
  });
});
