import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { exportCommand } from '../../../src/cli/commands/export';
import { reexecuteCommand } from '../../../src/cli/commands/reexecute';
import { runCommand } from '../../../src/cli/commands/run';
import { Engine } from '../../../src/core/sandbox/engine';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { startLocalRegistry, type LocalRegistry } from '../../support/localRegistry';
import { buildInstanceImage, pushAndRemove, removeImage } from '../../support/instanceImage';
import { ScriptedOpenAIServer, step } from '../../support/scriptedOpenAIServer';
import { runCaptured } from '../../support/cliCapture';

const EXAMPLE = join(process.cwd(), 'tasks', 'examples', 'bytesize__bytesize-22');
const ID = 'bytesize__bytesize-22';
const KEY = 'sk-test-instance-run-0123456789';

/** The task as SWE-bench publishes its rows: official fields, test lists as JSON text, as in the HF release. */
function sweBenchRow(baseCommit: string): Record<string, string> {
  const task = JSON.parse(readFileSync(join(EXAMPLE, 'task.json'), 'utf8')) as Record<string, unknown>;
  return {
    repo: 'bytesize/bytesize',
    instance_id: ID,
    base_commit: baseCommit,
    patch: readFileSync(join(EXAMPLE, 'gold.patch'), 'utf8'),
    test_patch: readFileSync(join(EXAMPLE, 'test.patch'), 'utf8'),
    problem_statement: task.problem_statement as string,
    hints_text: '',
    created_at: '2024-05-02T10:11:12Z',
    version: '2.0',
    FAIL_TO_PASS: JSON.stringify(task.FAIL_TO_PASS),
    PASS_TO_PASS: JSON.stringify(task.PASS_TO_PASS),
    environment_setup_commit: baseCommit,
  };
}

describe('a SWE-bench instance from a Parquet dataset row, its image pulled from a local registry (real Docker, Debian docker-registry)', () => {
  let registry: LocalRegistry;
  let image: string;
  let dir: string;
  let taskFile: string;
  let specsFile: string;
  let baseCommit: string;

  before(async () => {
    registry = await startLocalRegistry();
    // The harness's own name for this instance under a mirror namespace, pushed there and removed here.
    image = `${registry.host}/swebench/sweb.eval.x86_64.bytesize_1776_bytesize-22:latest`;
    ({ baseCommit } = buildInstanceImage(image, join(EXAMPLE, 'repo'), imageForProfile('python')));
    pushAndRemove(image);
    dir = mkdtempSync(join(tmpdir(), 'rollout-instance-run-'));
    const row = sweBenchRow(baseCommit);
    taskFile = join(dir, 'test-00000-of-00001.parquet');
    writeFileSync(
      taskFile,
      Buffer.from(
        parquetWriteBuffer({ columnData: Object.entries(row).map(([name, value]) => ({ name, data: [value] })) }),
      ),
    );
    // The task's own test command, with `python`, which exists only in the activated testbed env: the tests run
    // there or not at all.
    const { test_command: testCommand } = JSON.parse(readFileSync(join(EXAMPLE, 'task.json'), 'utf8')) as {
      test_command: string;
    };
    specsFile = join(dir, 'specs.json');
    writeFileSync(
      specsFile,
      JSON.stringify({
        'bytesize/bytesize': {
          test_command: testCommand.replace(/^python3 /, 'python '),
          test_framework: 'pytest',
        },
      }),
    );
    process.env.OPENAI_API_KEY = KEY;
  });

  /** `rollout run` of the Parquet row against the scripted server, its images under `registry/namespace`. */
  const runInstance = (server: ScriptedOpenAIServer, namespace: string, out: string) => {
    const policy = `openai:scripted@${server.baseURL}`;
    const mirror = `${registry.host}/${namespace}`;
    const args = ['--tasks', taskFile, '--policy', policy, '--namespace', mirror, '--specs', specsFile, '--out', out];
    return runCaptured(runCommand, args);
  };

  after(async () => {
    delete process.env.OPENAI_API_KEY;
    await registry?.stop();
    if (image) removeImage(image);
  });

  test('the run pulls the image with progress, the agent works in /testbed with testbed activated, the fix is graded there and exported', async () => {
    const gold = readFileSync(join(EXAMPLE, 'gold.patch'), 'utf8');
    const server = await ScriptedOpenAIServer.start(
      [
        step.toolCall('bash', {
          command: 'pwd; command -v python; echo "env=$CONDA_DEFAULT_ENV"; git log -1 --format=%s',
        }),
        step.toolCall('bash', { command: `git apply <<'PATCH'\n${gold}PATCH` }),
        step.toolCall('submit', { summary: 'pick the unit after rounding' }),
      ],
      { apiKey: KEY },
    );
    const out = join(dir, 'runs');
    try {
      assert.equal(await Engine.at().hasImage(image), false, 'the image is only in the registry');
      const run = await runInstance(server, 'swebench', out);
      assert.equal(run.code, 0, `${run.out}\n${run.err}`);
      assert.match(
        run.out,
        new RegExp(`pulling ${image.replace(/[.]/g, '\\.')}: (\\d+)/\\1 layers, [\\d.]+/[\\d.]+ MB`),
      );
      assert.equal(await Engine.at().hasImage(image), true);
    } finally {
      await server.close();
    }
    const [runId] = readdirSync(out).filter((name) => name.startsWith(ID));
    const { trajectory } = await readTrajectoryLog(join(out, runId, 'trajectory.jsonl'));
    assert.ok(trajectory);
    assert.equal(trajectory.run.image?.name, image);
    assert.equal(trajectory.run.extra?.workdir, '/testbed');
    assert.equal(trajectory.run.extra?.repo, undefined, 'no repository was copied in');
    assert.match(
      trajectory.turns[0].observations[0].output,
      /^\/testbed\n\/opt\/miniconda3\/envs\/testbed\/bin\/python\nenv=testbed\nSWE-bench$/m,
    );
    assert.equal(trajectory.result?.reward?.resolved, true, JSON.stringify(trajectory.result));
    assert.notEqual(trajectory.run.base_commit, baseCommit, "diffs are taken against the image's own commit");
    const patch = trajectory.result?.patch ?? '';
    assert.match(patch, /^diff --git a\/bytesize\//m);
    assert.doesNotMatch(patch, /build_output/);

    const exported = join(dir, 'export');
    const exportRun = await runCaptured(exportCommand, [
      '--runs',
      out,
      '--format',
      'swebench-preds',
      '--out',
      exported,
    ]);
    assert.equal(exportRun.code, 0, exportRun.err);
    const [prediction] = readFileSync(join(exported, 'preds.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { instance_id: string; model_patch: string });
    assert.equal(prediction.instance_id, ID);
    assert.equal(prediction.model_patch, patch);

    const reexecuted = await runCaptured(reexecuteCommand, [join(out, runId, 'trajectory.jsonl')]);
    assert.equal(reexecuted.code, 0, `${reexecuted.out}\n${reexecuted.err}`);
  });

  test('an image that no registry has is an infrastructure error naming it, and nothing is scored', async () => {
    const server = await ScriptedOpenAIServer.start([step.toolCall('submit', { summary: 'x' })], { apiKey: KEY });
    try {
      const run = await runInstance(server, 'nowhere', join(dir, 'missing'));
      assert.equal(run.code, 1);
      assert.match(
        run.out,
        new RegExp(`image ${registry.host}/nowhere/sweb\\.eval\\.x86_64\\.bytesize_1776_bytesize-22:latest not found`),
      );
      assert.match(run.out, /infrastructure error/);
    } finally {
      await server.close();
    }
  });
});
