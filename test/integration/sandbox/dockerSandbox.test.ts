import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { dockerClient } from '../../../src/core/sandbox/engine';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { reapOrphans } from '../../../src/core/sandbox/reaper';
import { InfrastructureError } from '../../../src/core/sandbox/sandbox';
import { containerCommands, waitForCommand } from '../../support/containerProcesses';
import { engineProxy } from '../../support/engineProxy';

function makeRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-sandbox-test-'));
  writeFileSync(join(dir, 'README.md'), '# demo\n');
  writeFileSync(join(dir, 'calc.py'), 'def add(a, b):\n    return a + b\n');
  return dir;
}

describe('DockerSandbox in a real Docker container', () => {
  let sandbox: DockerSandbox;
  let repo: string;

  before(async () => {
    repo = makeRepo();
    sandbox = await DockerSandbox.create({
      image: imageForProfile('python'),
      repo: { location: repo },
      pidsLimit: 128,
    });
  });
  after(async () => sandbox?.destroy());

  test('reports exit codes and keeps stdout and stderr apart', async () => {
    const result = await sandbox.exec('echo out; echo err >&2; exit 3');
    assert.equal(result.exitCode, 3);
    assert.equal(result.stdout, 'out\n');
    assert.equal(result.stderr, 'err\n');
    assert.equal(result.truncated, false);
    assert.equal(result.timedOut, false);
    assert.equal((await sandbox.exec('true')).exitCode, 0);
  });

  test('runs as a non-root user in the repository, with cwd, env and stdin', async () => {
    assert.equal((await sandbox.exec('id -u')).stdout.trim(), '1000');
    assert.equal((await sandbox.exec('pwd')).stdout.trim(), '/work/repo');
    assert.equal((await sandbox.exec('python3 -c "import calc; print(calc.add(2, 3))"')).stdout, '5\n');
    assert.equal((await sandbox.exec('pwd', { cwd: '/tmp' })).stdout.trim(), '/tmp');
    assert.equal((await sandbox.exec('echo "$GREETING"', { env: { GREETING: 'hi there' } })).stdout, 'hi there\n');
    assert.equal((await sandbox.exec('tr a-z A-Z', { stdin: 'piped in' })).stdout, 'PIPED IN');
  });

  test('a timeout kills the command and every child it started', async () => {
    const result = await sandbox.exec('sleep 1000 & sleep 1000 & sleep 1000', { timeoutMs: 1000 });
    assert.equal(result.timedOut, true);
    assert.ok(result.durationMs < 10_000, `took ${result.durationMs} ms`);
    const left = await sandbox.exec("ps -eo args= | grep -c '^sleep 1000$' || true");
    assert.equal(left.stdout.trim(), '0', 'no sleep survives its timeout');
    const escaped = await sandbox.exec('setsid sleep 1000 & sleep 1000', { timeoutMs: 1000 });
    assert.equal(escaped.timedOut, true);
    const afterSetsid = await sandbox.exec("ps -eo args= | grep -c '^sleep 1000$' || true");
    assert.equal(afterSetsid.stdout.trim(), '0', 'a child that left the process group is killed too');
  });

  test("a running command has beside it only its user's runner, its bash and the subshell that keeps the clean-up after it", async () => {
    const controller = new AbortController();
    const running = sandbox.exec('sleep 1234', { signal: controller.signal });
    await waitForCommand(() => sandbox.containerId, 'sleep 1234', 1, 60_000);
    // The container's own: its init (whose command line holds the start script's) and what stays after that script.
    const own = (command: string) => command.startsWith('/sbin/docker-init -- ') || command === 'sleep infinity';
    const commands = (await containerCommands(sandbox.containerId)).filter((command) => !own(command));
    controller.abort(new Error('seen'));
    await assert.rejects(running, /seen/);
    // No watchdog process waits out the time limit (the host keeps it), and no job-control shell stands between.
    const named = (command: string) =>
      command.startsWith('bash -c set -m')
        ? 'bash -c RUNNER'
        : command.startsWith('bash -c ')
          ? 'bash -c WRAPPER'
          : command;
    assert.deepEqual(commands.map(named), ['bash -c RUNNER', 'bash -c WRAPPER', 'bash -c WRAPPER', 'sleep 1234']);
  });

  test(
    'an abort kills the running command and every process it started at once, and the exec rejects with its reason',
    { timeout: 120_000 },
    async () => {
      const controller = new AbortController();
      const running = sandbox.exec('sleep 1234 & setsid sleep 1234 & sleep 1234; echo finished', {
        signal: controller.signal,
      });
      await waitForCommand(() => sandbox.containerId, 'sleep 1234', 3, 60_000);
      controller.abort(new Error('stopped by the test'));
      await assert.rejects(running, /stopped by the test/);
      const left = (await containerCommands(sandbox.containerId)).filter((command) => command === 'sleep 1234');
      assert.deepEqual(left, [], 'no process of the command is left in the container');
      await assert.rejects(
        sandbox.exec('touch started', { signal: AbortSignal.abort(new Error('aborted before')) }),
        /aborted before/,
      );
      assert.equal(
        (await sandbox.exec('ls started || echo none')).stdout.trim(),
        'none',
        'an aborted exec never starts',
      );
    },
  );

  test('output past the cap is dropped and flagged, also for an endless `yes`', async () => {
    const capped = await sandbox.exec('yes | head -c 3000000', { maxOutputBytes: 1024 * 1024 });
    assert.equal(capped.truncated, true);
    assert.equal(Buffer.byteLength(capped.stdout), 1024 * 1024);
    const endless = await sandbox.exec('yes', { timeoutMs: 1500 });
    assert.equal(endless.truncated, true);
    assert.equal(endless.timedOut, true);
    assert.equal(Buffer.byteLength(endless.stdout), 1024 * 1024, 'default cap is 1 MiB per stream');
  });

  test('has no network inside', async () => {
    const interfaces = await sandbox.exec('ls /sys/class/net');
    assert.equal(interfaces.stdout.trim(), 'lo');
    const connect = await sandbox.exec(
      `python3 -c "import socket; socket.create_connection(('1.1.1.1', 53), timeout=3)"`,
    );
    assert.notEqual(connect.exitCode, 0);
    assert.match(connect.stderr, /OSError|unreachable/i);
  });

  test('a fork bomb is held by the pids limit and the host stays fine', async () => {
    const limit = await sandbox.exec('cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max');
    assert.equal(limit.stdout.trim(), '128');
    // Long enough for the bomb to reach the limit on a loaded machine (it took over 4 s at a load of 25 on 2 cores).
    const bomb = await sandbox.exec('bomb() { bomb | bomb; }; bomb', { timeoutMs: 15_000 });
    assert.equal(bomb.timedOut, true);
    assert.match(bomb.stderr, /fork|Resource temporarily unavailable/, 'the bomb ran into the limit');
    assert.equal(
      (await sandbox.exec("ps -eo args= | grep -c '[b]omb' || true")).stdout.trim(),
      '0',
      'no copy of the bomb is left',
    );
    assert.equal((await sandbox.exec('echo alive')).stdout, 'alive\n');
    assert.equal(spawnSync('true').status, 0);
  });

  test('reads and writes files whole: new files and folders belong to the sandbox user', async () => {
    await sandbox.writeFile('pkg/deep/new_module.py', 'VALUE = 1\n');
    assert.equal((await sandbox.readFile('pkg/deep/new_module.py')).toString(), 'VALUE = 1\n');
    assert.equal(
      (await sandbox.readFile('/work/repo/calc.py')).toString(),
      readFileSync(join(repo, 'calc.py'), 'utf8'),
    );
    assert.equal(
      (await sandbox.exec('stat -c "%u %a %n" pkg pkg/deep pkg/deep/new_module.py')).stdout,
      '1000 755 pkg\n1000 755 pkg/deep\n1000 644 pkg/deep/new_module.py\n',
      'written files and the folders made for them belong to the sandbox user',
    );
    await assert.rejects(
      sandbox.readFile('missing.txt'),
      /no such file or directory in the sandbox: \/work\/repo\/missing.txt/,
    );
    await assert.rejects(sandbox.readFile('pkg'), /not a regular file in the sandbox: \/work\/repo\/pkg/);
    await assert.rejects(sandbox.writeFile('pkg', 'x'), /not a regular file in the sandbox: \/work\/repo\/pkg/);
    await assert.rejects(sandbox.writeFile('/no/such/file', 'x'), /no such folder in the sandbox: \/no\/such$/);
    await sandbox.exec('rm -r pkg');
  });

  test('an edit keeps the owner and mode of the file it rewrites, and the diff its mode', async () => {
    await sandbox.exec('printf "#!/bin/sh\\necho a\\n" >run.sh && chmod 750 run.sh');
    await sandbox.exec('printf "owned by root\\n" >/tmp/root-file', { asRoot: true });
    await sandbox.writeFile('run.sh', '#!/bin/sh\necho b\n');
    await sandbox.writeFile('/tmp/root-file', 'still root\n');
    assert.equal(
      (await sandbox.exec('stat -c "%u %a %n" run.sh /tmp/root-file')).stdout,
      '1000 750 run.sh\n0 644 /tmp/root-file\n',
    );
    assert.equal((await sandbox.exec('./run.sh')).stdout, 'b\n');
    assert.equal((await sandbox.readFile('/tmp/root-file')).toString(), 'still root\n');
    assert.match(await sandbox.diff(), /^new file mode 100755$/m);
    await sandbox.exec('rm run.sh');
    await sandbox.exec('rm /tmp/root-file', { asRoot: true });
  });

  test('diff covers edits, new files and binary files, and applies back to the base', async () => {
    const binary = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13, 128]);
    await sandbox.writeFile('calc.py', 'def add(a, b):\n    return b + a\n');
    await sandbox.writeFile('data/blob.bin', binary);
    await sandbox.writeFile('notes.txt', 'new file\n');
    const patch = await sandbox.diff();
    assert.match(patch, /GIT binary patch/);
    assert.match(patch, /new file mode 100644/);
    assert.match(patch, /\+    return b \+ a/);
    // The patch is exact: applied to a fresh copy of the base, it reproduces every file byte for byte.
    const copy = mkdtempSync(join(tmpdir(), 'rollout-apply-'));
    writeFileSync(join(copy, 'README.md'), readFileSync(join(repo, 'README.md')));
    writeFileSync(join(copy, 'calc.py'), readFileSync(join(repo, 'calc.py')));
    writeFileSync(join(copy, 'change.patch'), patch);
    const apply = spawnSync('git', ['apply', '--binary', 'change.patch'], { cwd: copy, encoding: 'utf8' });
    assert.equal(apply.status, 0, apply.stderr);
    assert.deepEqual(readFileSync(join(copy, 'data/blob.bin')), binary);
    assert.equal(readFileSync(join(copy, 'notes.txt'), 'utf8'), 'new file\n');
    await sandbox.exec('git checkout -- calc.py && rm -rf data notes.txt');
    assert.equal(await sandbox.diff(), '');
  });

  test('snapshot and restore round trip', async () => {
    await sandbox.writeFile('state.txt', 'before\n');
    const snapshot = await sandbox.snapshot();
    await sandbox.writeFile('state.txt', 'after\n');
    await sandbox.writeFile('extra.txt', 'extra\n');
    await sandbox.restore(snapshot);
    assert.equal((await sandbox.readFile('state.txt')).toString(), 'before\n');
    assert.equal((await sandbox.exec('test -e extra.txt')).exitCode, 1);
    assert.equal(
      (await sandbox.exec('ls /sys/class/net')).stdout.trim(),
      'lo',
      'the restored container keeps its isolation',
    );
  });
});

describe('sandbox lifecycle on a real Docker engine', () => {
  test('destroy removes the container', async () => {
    const sandbox = await DockerSandbox.create({ image: imageForProfile('python') });
    const id = sandbox.containerId;
    await sandbox.destroy();
    await assert.rejects(
      dockerClient().getContainer(id).inspect(),
      (error: { statusCode?: number }) => error.statusCode === 404,
    );
  });

  test('the reaper removes the containers of a process killed with SIGKILL', async () => {
    const child = spawn(process.execPath, [join(__dirname, '..', '..', 'support', 'hold-sandbox.child.js')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const containerId = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once('exit', (code) => reject(new Error(`child exited ${code}: ${stderr}`)));
    });
    assert.equal((await dockerClient().getContainer(containerId).inspect()).State.Running, true);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const reaped = await reapOrphans(dockerClient());
    assert.ok(reaped.containers >= 1);
    await assert.rejects(
      dockerClient().getContainer(containerId).inspect(),
      (error: { statusCode?: number }) => error.statusCode === 404,
    );
  });

  test('commands started while the container is stopped from outside fail as infrastructure errors, whichever way the engine refuses them (409, 404 no such exec, 500 container not running), and leave no stream open', async () => {
    const failures: Error[] = [];
    const proxy = await engineProxy();
    try {
      for (let round = 0; round < 6; round++) {
        const sandbox = await DockerSandbox.create({ image: imageForProfile('python'), dockerHost: proxy.address });
        try {
          const stopped = dockerClient().getContainer(sandbox.containerId).kill({ signal: 'SIGTERM' });
          // Staggered starts land before, during and after the engine's stop, where it answers each way.
          const commands = Array.from({ length: 8 }, async (_, index) => {
            await new Promise((resolve) => setTimeout(resolve, index * 3));
            await sandbox.exec('true').catch((error: Error) => failures.push(error));
          });
          await Promise.all([stopped, ...commands]);
        } finally {
          await sandbox.destroy();
        }
      }
      assert.ok(failures.length > 0, 'no command was refused: the container was not stopped under them');
      const otherErrors = failures.filter((error) => !(error instanceof InfrastructureError)).map((e) => e.message);
      assert.deepEqual(otherErrors, []);
      // A stream refused at its start (its request's body left open for the input) would hold the program for minutes;
      // a refused one whose request ended is kept by the HTTP agent for reuse, for 5 s at most.
      for (let waited = 0; proxy.openStreams() > 0 && waited < 10_000; waited += 100) await sleep(100);
      assert.equal(proxy.openStreams(), 0, 'every stream to the engine was closed');
    } finally {
      await proxy.close();
    }
  });

  test('a missing image is an infrastructure error that names the fix', async () => {
    await assert.rejects(DockerSandbox.create({ image: 'rollout-studio/python:000000000000' }), (error: Error) => {
      assert.ok(error instanceof InfrastructureError);
      assert.match(error.message, /image rollout-studio\/python:000000000000 not found/);
      assert.match(error.message, /rollout images build python/);
      return true;
    });
  });

  test('an unreachable engine is an infrastructure error that names the fix', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
    try {
      await assert.rejects(DockerSandbox.create({ image: imageForProfile('python') }), (error: Error) => {
        assert.ok(error instanceof InfrastructureError);
        assert.match(error.message, /Docker engine not reachable at unix:\/\/\/nonexistent\/docker.sock/);
        assert.match(error.message, /fix: /);
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});
