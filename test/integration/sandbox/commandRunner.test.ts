import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { dockerClient } from '../../../src/core/sandbox/engine';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { containerCommands } from '../../support/containerProcesses';

// A command given standard input is started as an exec of the engine's own, not on the runner.
const AS_EXEC = { stdin: '' };

describe("commands on the sandbox's long-lived runner, in a real Docker container", () => {
  let sandbox: DockerSandbox;

  before(async () => {
    sandbox = await DockerSandbox.create({ image: imageForProfile('python') });
  });

  after(async () => {
    await sandbox?.destroy();
  });

  test('a command run by the runner sees what an exec of the engine shows it: environment, directory, user, descriptors, a process group of its own', async () => {
    const probe = [
      'env | sort',
      'pwd',
      'id',
      'ls /proc/self/fd',
      'ulimit -a | grep -v "file locks"',
      '[ "$(cut -d" " -f5 /proc/$$/stat)" = $$ ] && echo own process group',
      'cat /proc/self/status | grep -E "^(Uid|Gid|Groups|CapEff|NoNewPrivs)"',
    ].join('; ');
    const options = { cwd: '/tmp', env: { EXTRA: 'one two', EMPTY: '' } };
    const onRunner = await sandbox.exec(probe, options);
    const asExec = await sandbox.exec(probe, { ...options, ...AS_EXEC });
    assert.equal(onRunner.stderr, '');
    assert.equal(onRunner.stdout, asExec.stdout);
    assert.match(onRunner.stdout, /^EXTRA=one two$/m);
    assert.match(onRunner.stdout, /^SHLVL=1$/m);
    assert.match(onRunner.stdout, /^own process group$/m);
    const asRoot = await sandbox.exec('id -u; env | sort', { asRoot: true });
    assert.equal(asRoot.stdout, (await sandbox.exec('id -u; env | sort', { asRoot: true, ...AS_EXEC })).stdout);
    assert.match(asRoot.stdout, /^0$/m);
  });

  test('output reaches the result byte for byte, also output that looks like the start of the runner’s end line', async () => {
    const command = `printf 'a\\0rollout-end 0123 0\\nb\\0rollout-'; printf 'c\\0\\0rollout-end' >&2; printf '\\0'`;
    const result = await sandbox.exec(command);
    assert.equal(result.stdout, 'a\0rollout-end 0123 0\nb\0rollout-\0');
    assert.equal(result.stderr, 'c\0\0rollout-end');
    assert.equal(result.exitCode, 0);
    const large = await sandbox.exec('head -c 3000000 /dev/zero | tr "\\0" x; exit 7', {
      maxOutputBytes: 4 * 1024 ** 2,
    });
    assert.equal(large.stdout, 'x'.repeat(3_000_000));
    assert.equal(large.exitCode, 7);
  });

  test('commands started together each get their own output and status: one on the runner, the others as execs', async () => {
    const results = await Promise.all(
      [0, 1, 2, 3].map((index) => sandbox.exec(`sleep 0.$((RANDOM % 3)); echo ${index}; exit ${index}`)),
    );
    assert.deepEqual(
      results.map((result) => [result.stdout, result.exitCode]),
      [0, 1, 2, 3].map((index) => [`${index}\n`, index]),
    );
  });

  test('a command that kills the runner ends with the status of a killed shell, and the next command gets a new runner', async () => {
    const runners = async () =>
      (await containerCommands(sandbox.containerId)).filter((line) => line.startsWith('bash -c set -m')).length;
    assert.equal((await sandbox.exec('echo first')).stdout, 'first\n');
    const before = await runners();
    const killed = await sandbox.exec('kill -KILL $PPID; echo after');
    assert.equal(killed.exitCode, 137);
    assert.equal(killed.stdout, 'after\n');
    assert.equal((await sandbox.exec('echo next')).stdout, 'next\n');
    assert.equal(await runners(), before, 'a new runner stands in for the one killed');
  });

  test('a `kill 0` of the command ends the command only, as with an exec of its own', async () => {
    const result = await sandbox.exec('sleep 30 & kill -TERM 0; echo not reached');
    assert.equal(result.exitCode, 143);
    assert.equal(result.stdout, '');
    assert.equal((await sandbox.exec('echo next')).stdout, 'next\n');
    assert.deepEqual(
      (await containerCommands(sandbox.containerId)).filter((line) => line === 'sleep 30'),
      [],
    );
  });

  test('a command with a NUL byte ends as an exec of its own does (refused by the kernel), and the runner goes on', async () => {
    const outcome = async (options = {}) => {
      const { exitCode, stdout, stderr } = await sandbox.exec('echo a\0b', options);
      return { exitCode, stdout, stderr };
    };
    const asExec = await outcome(AS_EXEC);
    assert.notEqual(asExec.exitCode, 0);
    assert.deepEqual(await outcome(), asExec);
    assert.equal((await sandbox.exec('echo next')).stdout, 'next\n');
  });

  test('a missing working directory is named, and the runner goes on', async () => {
    await assert.rejects(sandbox.exec('pwd', { cwd: '/no/such/folder' }), /no such directory.*\/no\/such\/folder/);
    assert.equal((await sandbox.exec('pwd', { cwd: '/tmp' })).stdout, '/tmp\n');
  });

  test('a program that leaves its sandbox standing ends once its commands are done: an idle runner holds nothing open', async () => {
    const child = join(__dirname, '..', '..', 'support', 'idle-runner.child.js');
    const { stdout } = await promisify(execFile)(process.execPath, [child], { timeout: 60_000 });
    const [containerId, ran] = stdout.trim().split(' ');
    await dockerClient().getContainer(containerId!).remove({ force: true });
    assert.equal(ran, 'ran');
  });
});
