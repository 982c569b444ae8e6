import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { imageForProfile } from '../../../src/core/sandbox/images';
import type { Trajectory } from '../../../src/core/trajectory/types';
import { buildOffline, exampleRepoWithFix, git, removeImage } from '../../support/instanceImage';
import { step } from '../../support/scriptedOpenAIServer';
import { runScriptedTask, type ScriptedTaskRun } from '../../support/scriptedTaskRun';

const EXAMPLE = join(process.cwd(), 'tasks', 'examples', 'bytesize__bytesize-22');
const ID = 'instance_bytesize__bytesize-0123456789abcdef0123456789abcdef01234567-vnan';
const TAG = 'bytesize.bytesize-bytesize__bytesize-0123456789abcdef0123456789abcdef01234567';
const IMAGE = `jefzda/sweap-images:${TAG}`;
const KEY = 'sk-test-swe-bench-pro-0123456789';

/**
 * The instance's run script and parser, ours, written as SWE-bench Pro writes its own: the selected test files
 * come comma-separated; the parser reads the runner's stdout into `{"tests": [{"name", "status"}]}`. Like some of
 * the released parsers, it expects every result to name a test (`file::test`) and crashes on a file's collection
 * error, writing no output.json.
 */
const RUN_SCRIPT = `#!/bin/bash
set -e
IFS=, read -ra files <<< "$1"
python -m pytest -rA -p no:cacheprovider "\${files[@]}" || true
`;
const PARSER = `import json, re, sys
tests = []
for line in open(sys.argv[1]):
    match = re.match(r"^(PASSED|FAILED|ERROR|SKIPPED) (\\S+)", line)
    if match:
        file, test = match.group(2).split("::", 1)
        tests.append({"name": match.group(2), "status": match.group(1)})
json.dump({"tests": tests}, open(sys.argv[3], "w"), indent=2)
`;

/**
 * The image: the example's repository at its base commit, with the fix's commit (gold and test patches) in its
 * history, as the harness's images hold theirs. Returns both commits.
 */
function buildProImage(): { base: string; fix: string } {
  const context = mkdtempSync(join(tmpdir(), 'rollout-pro-image-'));
  try {
    cpSync(join(process.cwd(), 'test', 'fixtures', 'instance-images', 'swe-bench-pro'), context, { recursive: true });
    const { repo, base, fix } = exampleRepoWithFix(EXAMPLE, context);
    // What a clone reset to the base keeps of later history: a tag, a remote's branch, the reflog.
    git(repo, 'tag', 'v2.0.2');
    git(repo, 'remote', 'add', 'origin', 'https://github.com/bytesize/bytesize.git');
    git(repo, 'update-ref', 'refs/remotes/origin/main', fix);
    git(repo, 'reset', '-q', '--hard', base);
    buildOffline(IMAGE, context, [`BASE_IMAGE=${imageForProfile('python')}`]);
    return { base, fix };
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** A row as ScaleAI/SWE-bench_Pro publishes it, in a task file beside the harness's run_scripts folder. */
function proTaskFile(dir: string, commits: { base: string; fix: string }): string {
  const task = JSON.parse(readFileSync(join(EXAMPLE, 'task.json'), 'utf8')) as Record<string, string[] | string>;
  const python = (list: string[]) => `[${list.map((name) => `'${name}'`).join(', ')}]`;
  const row = {
    repo: 'bytesize/bytesize',
    instance_id: ID,
    base_commit: commits.base,
    patch: readFileSync(join(EXAMPLE, 'gold.patch'), 'utf8'),
    test_patch: readFileSync(join(EXAMPLE, 'test.patch'), 'utf8'),
    problem_statement: task.problem_statement,
    requirements: '- sizes that round up to the base move to the next unit',
    interface: 'No new interfaces are introduced',
    repo_language: 'python',
    fail_to_pass: python(task.FAIL_TO_PASS as string[]),
    pass_to_pass: python(task.PASS_TO_PASS as string[]),
    before_repo_set_cmd: [
      `git reset --hard ${commits.base}`,
      'git clean -fd',
      `git checkout ${commits.base}`,
      `git checkout ${commits.fix} -- tests/test_naturalsize.py`,
    ].join('\n'),
    selected_test_files_to_run: "['tests/test_naturalsize.py', 'tests/test_parse_size.py']",
    dockerhub_tag: TAG,
  };
  const scripts = join(dir, 'run_scripts', ID);
  mkdirSync(scripts, { recursive: true });
  writeFileSync(join(scripts, 'run_script.sh'), RUN_SCRIPT);
  writeFileSync(join(scripts, 'parser.py'), PARSER);
  const file = join(dir, 'swe_bench_pro.jsonl');
  writeFileSync(file, `${JSON.stringify(row)}\n`);
  return file;
}

describe('a SWE-bench Pro instance in its image, graded by its own run script and parser (real Docker)', () => {
  let dir: string;
  let taskFile: string;
  let commits: { base: string; fix: string };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rollout-pro-run-'));
    commits = buildProImage();
    taskFile = proTaskFile(dir, commits);
    process.env.OPENAI_API_KEY = KEY;
  });

  after(() => {
    delete process.env.OPENAI_API_KEY;
    removeImage(IMAGE);
  });

  const run = (steps: ScriptedTaskRun['steps'], out: string) =>
    runScriptedTask({ taskFile, taskId: ID, apiKey: KEY, steps, out });

  test("the agent works in /app at the base, the later history out of its reach; the instance's own tests resolve the fix", async () => {
    const gold = readFileSync(join(EXAMPLE, 'gold.patch'), 'utf8');
    const history = `git log --all --reflog --format=%s; git tag; git remote; git cat-file -e ${commits.fix} || echo hidden`;
    const trajectory = await run(
      [
        step.toolCall('bash', { command: `pwd; ${history}` }),
        step.toolCall('bash', { command: `git apply <<'PATCH'\n${gold}PATCH` }),
        step.toolCall('submit', { summary: 'round before choosing the unit' }),
      ],
      join(dir, 'fixed'),
    );
    assert.equal(trajectory.run.image?.name, IMAGE);
    assert.equal(trajectory.run.extra?.workdir, '/app');
    assert.match(trajectory.turns[0].observations[0].output, /^\/app\nbase\nhidden$/m);
    assert.equal(trajectory.result?.reward?.resolved, true, JSON.stringify(trajectory.result));
  });

  test("a change that is no fix: the fix's tests, checked out by before_repo_set_cmd, fail; scored 0", async () => {
    const trajectory = await run(
      [
        step.toolCall('bash', { command: 'echo "See the changelog." >> README.md' }),
        step.toolCall('submit', { summary: 'a note' }),
      ],
      join(dir, 'unfixed'),
    );
    const reward = trajectory.result?.reward;
    const status = (reward?.report as { evaluation_status?: string } | undefined)?.evaluation_status;
    assert.equal(status, 'unresolved', JSON.stringify(trajectory.result));
    assert.deepEqual([reward?.resolved, reward?.value], [false, 0]);
  });

  /** The evaluation the run's last round recorded. */
  function roundScored(trajectory: Trajectory) {
    const scored = trajectory.events.filter((event) => event.kind === 'round_scored').at(-1);
    return scored?.data as { evaluation_status?: string; error?: string; reward?: number | null } | undefined;
  }

  test("a patch that breaks the tests' collection makes the parser crash (no output.json); the parser reads the tests without the patch, so it is unresolved and scored 0, as the harness counts it", async () => {
    const trajectory = await run(
      [
        step.toolCall('bash', { command: "echo 'def broken(:' >> bytesize/units.py" }),
        step.toolCall('submit', { summary: 'a syntax error' }),
      ],
      join(dir, 'broken'),
    );
    const scored = roundScored(trajectory);
    assert.equal(scored?.evaluation_status, 'unresolved', JSON.stringify(scored));
    assert.match(scored?.error ?? '', /no readable output\.json; without the patch it read the tests/);
    assert.deepEqual([trajectory.result?.reward?.resolved, trajectory.result?.reward?.value], [false, 0]);
  });

  test('a parser that crashes without the patch too: the instance is at fault, an error and not scored', async () => {
    const parser = join(dir, 'run_scripts', ID, 'parser.py');
    writeFileSync(parser, 'raise SystemExit("this parser reads nothing")\n');
    try {
      const gold = readFileSync(join(EXAMPLE, 'gold.patch'), 'utf8');
      const trajectory = await run(
        [
          step.toolCall('bash', { command: `git apply <<'PATCH'\n${gold}PATCH` }),
          step.toolCall('submit', { summary: 'round before choosing the unit' }),
        ],
        join(dir, 'parser-broken'),
      );
      const scored = roundScored(trajectory);
      assert.equal(scored?.evaluation_status, 'error', JSON.stringify(scored));
      assert.match(scored?.error ?? '', /output\.json; without the patch, .*output\.json/);
      assert.equal(trajectory.result?.reward?.value, null);
    } finally {
      writeFileSync(parser, PARSER);
    }
  });
});
