/**
 * A SWE-rebench-V2 row run end to end in its image (real Docker): the agent works in /<repository> at the base, and
 * the grading runs the harness's script (the test patch, then the row's commands, under `set -e`) and reads its log
 * with the row's parser, from a checkout of the harness. The image is built offline as V2 lays its images out; the
 * checkout is a stand-in holding one parser of our own, since the real parsers' readings are held to the harness in
 * test/unit/reward/sweRebenchV2Parity.test.ts.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { imageForProfile } from '../../../src/core/sandbox/images';
import type { TestsStatus } from '../../../src/core/reward/grading';
import type { Trajectory } from '../../../src/core/trajectory/types';
import { buildOffline, exampleRepoWithFix, git, removeImage } from '../../support/instanceImage';
import { step } from '../../support/scriptedOpenAIServer';
import { runScriptedTask, type ScriptedTaskRun } from '../../support/scriptedTaskRun';

const EXAMPLE = join(process.cwd(), 'tasks', 'examples', 'bytesize__bytesize-22');
const ID = 'bytesize__bytesize-22';
const KEY = 'sk-test-swe-rebench-v2-0123456789';
const PARSER = 'rollout_example_pytest';

/** A checkout of the harness as a reader imports it (lib/agent/log_parsers.py), with one parser: pytest's -rA lines. */
function harnessCheckout(): string {
  const root = mkdtempSync(join(tmpdir(), 'rollout-v2-checkout-'));
  mkdirSync(join(root, 'lib', 'agent'), { recursive: true });
  writeFileSync(join(root, 'lib', '__init__.py'), '');
  writeFileSync(join(root, 'lib', 'agent', '__init__.py'), '');
  const parser = [
    'import re',
    '',
    'def parse(log):',
    '    statuses = {}',
    '    for line in log.split("\\n"):',
    '        match = re.match(r"^(PASSED|FAILED|ERROR|SKIPPED) (\\S+)", line)',
    '        if match:',
    '            statuses[match.group(2)] = match.group(1)',
    '    return statuses',
    '',
    `NAME_TO_PARSER = {"${PARSER}": parse}`,
    '',
  ];
  writeFileSync(join(root, 'lib', 'agent', 'log_parsers.py'), parser.join('\n'));
  return root;
}

/** The image: the example's repository at /bytesize at its base commit, the fix's commit later in its history. */
function buildV2Image(image: string): string {
  const context = mkdtempSync(join(tmpdir(), 'rollout-v2-image-'));
  try {
    cpSync(join(process.cwd(), 'test', 'fixtures', 'instance-images', 'swe-rebench-v2'), context, { recursive: true });
    const { repo, base } = exampleRepoWithFix(EXAMPLE, context);
    git(repo, 'reset', '-q', '--hard', base);
    buildOffline(image, context, [`BASE_IMAGE=${imageForProfile('python')}`]);
    return base;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** The row as nebius/SWE-rebench-V2 publishes one. */
function v2TaskFile(dir: string, base: string, image: string): string {
  const task = JSON.parse(readFileSync(join(EXAMPLE, 'task.json'), 'utf8')) as Record<string, string[] | string>;
  const row = {
    instance_id: ID,
    repo: 'bytesize/bytesize',
    base_commit: base,
    image_name: image,
    language: 'python',
    patch: readFileSync(join(EXAMPLE, 'gold.patch'), 'utf8'),
    test_patch: readFileSync(join(EXAMPLE, 'test.patch'), 'utf8'),
    problem_statement: task.problem_statement,
    interface: '',
    pr_description: '',
    FAIL_TO_PASS: task.FAIL_TO_PASS,
    PASS_TO_PASS: task.PASS_TO_PASS,
    install_config: {
      base_image_name: 'python_3.11',
      install: ['pip install -e .'],
      log_parser: PARSER,
      test_cmd: ['python3 -m pytest -rA -p no:cacheprovider tests/test_naturalsize.py tests/test_parse_size.py'],
    },
  };
  const file = join(dir, 'swe_rebench_v2.jsonl');
  writeFileSync(file, `${JSON.stringify(row)}\n`);
  return file;
}

/** A PASS_TO_PASS test in a file neither the fix nor its tests change: it passes wherever the tests run. */
const UNTOUCHED_TEST = 'tests/test_parse_size.py::test_parse_plain_bytes';

function passToPass(trajectory: Trajectory): { success: string[]; failure: string[] } {
  const report = trajectory.result?.reward?.report as { report?: { tests_status?: TestsStatus } } | undefined;
  const group = report?.report?.tests_status?.PASS_TO_PASS;
  assert.ok(group, JSON.stringify(trajectory.result));
  return group;
}

describe('a SWE-rebench-V2 instance in its image, graded by its harness script and its own parser (real Docker)', () => {
  const image = `swerebenchv2/bytesize-bytesize:22-${'0'.repeat(7)}`;
  let dir: string;
  let taskFile: string;
  const earlier = process.env.ROLLOUT_SWE_REBENCH_V2;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rollout-v2-run-'));
    taskFile = v2TaskFile(dir, buildV2Image(image), image);
    process.env.OPENAI_API_KEY = KEY;
    process.env.ROLLOUT_SWE_REBENCH_V2 = harnessCheckout();
  });

  after(() => {
    delete process.env.OPENAI_API_KEY;
    if (earlier === undefined) delete process.env.ROLLOUT_SWE_REBENCH_V2;
    else process.env.ROLLOUT_SWE_REBENCH_V2 = earlier;
    removeImage(image);
  });

  const run = (steps: ScriptedTaskRun['steps'], out: string) =>
    runScriptedTask({ taskFile, taskId: ID, apiKey: KEY, steps, out });

  test('the agent works in /bytesize at the base, the fix out of its reach; the fix resolves it', async () => {
    const gold = readFileSync(join(EXAMPLE, 'gold.patch'), 'utf8');
    const trajectory = await run(
      [
        step.toolCall('bash', { command: 'pwd; git log --all --reflog --format=%s' }),
        step.toolCall('bash', { command: `git apply <<'PATCH'\n${gold}PATCH` }),
        step.toolCall('submit', { summary: 'round before choosing the unit' }),
      ],
      join(dir, 'fixed'),
    );
    assert.equal(trajectory.run.image?.name, image);
    assert.equal(trajectory.run.extra?.workdir, '/bytesize');
    assert.match(trajectory.turns[0].observations[0].output, /^\/bytesize\nbase$/m);
    assert.equal(trajectory.result?.reward?.resolved, true, JSON.stringify(trajectory.result));
  });

  test('a change that is no fix: the fix tests fail; scored 0', async () => {
    const trajectory = await run(
      [
        step.toolCall('bash', { command: 'echo "See the changelog." >> README.md' }),
        step.toolCall('submit', { summary: 'a note' }),
      ],
      join(dir, 'unfixed'),
    );
    assert.deepEqual([trajectory.result?.reward?.resolved, trajectory.result?.reward?.value], [false, 0]);
    assert.ok(passToPass(trajectory).success.includes(UNTOUCHED_TEST), 'the tests ran');
  });

  test('a fix that also rewrites the test file the test patch changes: the patch does not go in, no test runs (set -e), unresolved', async () => {
    const gold = readFileSync(join(EXAMPLE, 'gold.patch'), 'utf8');
    const trajectory = await run(
      [
        step.toolCall('bash', { command: `git apply <<'PATCH'\n${gold}PATCH` }),
        step.toolCall('bash', { command: 'printf "def test_nothing():\\n    pass\\n" > tests/test_naturalsize.py' }),
        step.toolCall('submit', { summary: 'the fix, and a simpler test file' }),
      ],
      join(dir, 'tests-rewritten'),
    );
    assert.deepEqual([trajectory.result?.reward?.resolved, trajectory.result?.reward?.value], [false, 0]);
    assert.ok(passToPass(trajectory).failure.includes(UNTOUCHED_TEST), 'no test ran, not even those of another file');
  });
});
