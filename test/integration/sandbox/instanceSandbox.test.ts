import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { Engine } from '../../../src/core/sandbox/engine';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { InfrastructureError, type InstanceSetup } from '../../../src/core/sandbox/sandbox';
import { SWE_BENCH_ACTIVATION } from '../../../src/core/task/instanceImages';
import { engineRequestsDuring } from '../../support/engineRequests';
import { startFailureWithInputCut } from '../../support/engineProxy';
import { buildInstanceImage, removeImage } from '../../support/instanceImage';

const SWE_SMITH_SETUP =
  "git apply --index && git -c user.name=swesmith -c user.email=swesmith@swesmith.ai commit -q -m 'Bug Patch'";
const REPO = join(process.cwd(), 'tasks', 'examples', 'bytesize__bytesize-22', 'repo');
const BUG = `diff --git a/README.md b/README.md
--- a/README.md
+++ b/README.md
@@ -1,3 +1,4 @@
 # bytesize
+(the bug a SWE-smith task starts from)
 
 Human-readable file sizes, both ways.
`;

describe('DockerSandbox in an instance image laid out as the SWE-bench harness does (real Docker, built offline)', () => {
  const image = `rollout-studio-test/sweb.eval.x86_64.bytesize_1776_bytesize-22:${randomBytes(4).toString('hex')}`;
  let sandbox: DockerSandbox;

  before(async () => {
    buildInstanceImage(image, REPO, imageForProfile('python'));
    sandbox = await DockerSandbox.create({
      image,
      workdir: '/testbed',
      instance: { activate: SWE_BENCH_ACTIVATION },
    });
  });
  after(async () => {
    await sandbox?.destroy();
    removeImage(image);
  });

  test('works in the repository the image holds, as the image user (root), from the commit checked out there', async () => {
    assert.equal((await sandbox.exec('pwd')).stdout.trim(), '/testbed');
    assert.equal((await sandbox.exec('id -u')).stdout.trim(), '0');
    assert.equal((await sandbox.exec('git log -1 --format=%s')).stdout.trim(), 'SWE-bench');
    assert.equal(sandbox.baseCommit, (await sandbox.exec('git rev-parse HEAD')).stdout.trim());
    assert.equal((await sandbox.exec('cat build_output.txt')).stdout, 'built\n', 'nothing was copied over the image');
  });

  test("every command runs in the image's activated environment, activate.d scripts included", async () => {
    const result = await sandbox.exec('command -v python; echo "$CONDA_DEFAULT_ENV $ROLLOUT_TEST_ACTIVATE_D"');
    assert.equal(result.stdout, '/opt/miniconda3/envs/testbed/bin/python\ntestbed ran\n');
    const pytest = await sandbox.exec('python -m pytest -q -p no:cacheprovider tests 2>&1 | tail -1');
    assert.match(pytest.stdout, /passed/);
    assert.equal((await sandbox.exec('echo "$X"', { env: { X: 'own' } })).stdout, 'own\n');
  });

  test('the diff holds the agent’s changes only, not what was untracked in the image at the start', async () => {
    await sandbox.writeFile('bytesize/new_module.py', 'VALUE = 1\n');
    await sandbox.exec("sed -i 's/^# bytesize/# bytesize (edited)/' README.md");
    const diff = await sandbox.diff();
    assert.match(diff, /^diff --git a\/README.md b\/README.md$/m);
    assert.match(diff, /^\+\+\+ b\/bytesize\/new_module.py$/m);
    assert.doesNotMatch(diff, /build_output/);
    assert.equal((await sandbox.exec('stat -c %u bytesize/new_module.py')).stdout.trim(), '0');
  });

  test('a setup script with its input (on the container’s standard input) runs before the base commit is taken (a SWE-smith bug)', async () => {
    let buggy!: DockerSandbox;
    const requests = await engineRequestsDuring(async () => {
      buggy = await DockerSandbox.create({
        image,
        workdir: '/testbed',
        instance: { activate: SWE_BENCH_ACTIVATION, setup: SWE_SMITH_SETUP, setupInput: BUG },
      });
    });
    try {
      assert.deepEqual(requests.sort(), [
        'GET /images/NAME/json',
        'POST /containers/ID/attach',
        'POST /containers/ID/start',
        'POST /containers/create',
      ]);
      assert.match((await buggy.exec('cat README.md')).stdout, /the bug a SWE-smith task starts from/);
      assert.equal(buggy.baseCommit, (await buggy.exec('git rev-parse HEAD')).stdout.trim());
      assert.notEqual(buggy.baseCommit, sandbox.baseCommit);
      assert.equal(await buggy.diff(), '');
    } finally {
      await buggy.destroy();
    }
  });

  test("an agent's sandbox of a SWE-smith bug holds one commit of the buggy tree: not the bug's commit, not the clean code", async () => {
    const instance: InstanceSetup = {
      activate: SWE_BENCH_ACTIVATION,
      setup: SWE_SMITH_SETUP,
      setupInput: BUG,
      hideHistory: 'all',
    };
    const agents = await DockerSandbox.create({ image, workdir: '/testbed', instance });
    try {
      assert.match((await agents.exec('cat README.md')).stdout, /the bug a SWE-smith task starts from/);
      assert.equal((await agents.exec('git rev-list --all --reflog | wc -l')).stdout.trim(), '1');
      assert.equal((await agents.exec('git log --format=%s')).stdout, 'the task\n');
      const clean = await agents.exec(`git cat-file -e ${sandbox.baseCommit} || echo gone`);
      assert.equal(clean.stdout, 'gone\n', "the clean code's commit, the bug's parent");
      assert.equal(agents.baseCommit, (await agents.exec('git rev-parse HEAD')).stdout.trim());
      const again = await DockerSandbox.create({ image, workdir: '/testbed', instance });
      await again.destroy();
      assert.equal(again.baseCommit, agents.baseCommit, 'the same commit in a re-execution');
      assert.equal(await agents.diff(), '');
      await agents.exec("sed -i 's/^(the bug.*/(fixed)/' README.md");
      assert.match(await agents.diff(), /^-\(the bug a SWE-smith task starts from\)\n\+\(fixed\)$/m);
    } finally {
      await agents.destroy();
    }
  });

  test('a setup input cut short on its way in is an infrastructure error, though what arrived would apply', async () => {
    // The cut falls at the end of the first file's diff, so the part that arrives is a whole patch of its own.
    const newFile = (fill: number) =>
      `diff --git a/pad.txt b/pad.txt\nnew file mode 100644\n--- /dev/null\n+++ b/pad.txt\n@@ -0,0 +1 @@\n+${'x'.repeat(fill)}\n`;
    const first = newFile(1024 - newFile(0).length);
    assert.equal(Buffer.byteLength(first), 1024);
    const instance = { activate: SWE_BENCH_ACTIVATION, setup: SWE_SMITH_SETUP, setupInput: first + BUG };
    const failure = await startFailureWithInputCut({ image, workdir: '/testbed', instance }, 1024);
    assert.ok(failure instanceof InfrastructureError, `an infrastructure error, not ${String(failure)}`);
    assert.match(failure.message, /^the instance setup of \S+ failed \(exit 1\): the setup's input arrived cut short$/);
  });

  test('a start is one container process: its entrypoint runs the start script (no exec), four engine requests', async () => {
    const requests = await engineRequestsDuring(async () => {
      const again = await DockerSandbox.create({
        image,
        workdir: '/testbed',
        instance: { activate: SWE_BENCH_ACTIVATION },
      });
      await again.destroy();
    });
    // The activation's environment is known from the first sandbox of the image; the removal is destroy's.
    assert.deepEqual(requests.sort(), [
      'DELETE /containers/ID',
      'GET /images/NAME/json',
      'POST /containers/ID/attach',
      'POST /containers/ID/start',
      'POST /containers/create',
    ]);
  });

  test('a restart of the container or a restore from a snapshot does not run the setup again', async () => {
    const counted = await DockerSandbox.create({
      image,
      workdir: '/testbed',
      instance: { activate: SWE_BENCH_ACTIVATION, setup: 'echo ran >> /root/setup-runs' },
    });
    try {
      const snapshot = await counted.snapshot();
      await Engine.at().docker.getContainer(counted.containerId).restart({ t: 0 });
      assert.equal((await counted.exec('cat /root/setup-runs')).stdout, 'ran\n');
      await counted.restore(snapshot);
      assert.equal((await counted.exec('cat /root/setup-runs')).stdout, 'ran\n');
      assert.equal((await counted.exec('git rev-parse HEAD')).stdout.trim(), counted.baseCommit);
    } finally {
      await counted.destroy();
    }
  });

  test('an activation that fails, or no repository at the workdir, is an infrastructure error naming the image', async () => {
    await assert.rejects(
      DockerSandbox.create({ image, workdir: '/testbed', instance: { activate: 'conda activate nowhere' } }),
      (error: Error) =>
        error instanceof InfrastructureError &&
        error.message.includes(`activating the environment of ${image} (conda activate nowhere) failed`),
    );
    await assert.rejects(
      DockerSandbox.create({ image, workdir: '/opt', instance: {} }),
      (error: Error) => error instanceof InfrastructureError && error.message.includes(image),
    );
  });
});
