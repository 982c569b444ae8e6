import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { DockerSandbox, execArgv } from '../../../src/core/sandbox/dockerSandbox';
import { dockerClient } from '../../../src/core/sandbox/engine';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { InfrastructureError } from '../../../src/core/sandbox/sandbox';
import { containerCommands } from '../../support/containerProcesses';
import { engineProxy } from '../../support/engineProxy';

interface EngineExecOptions {
  cwd?: string;
  env?: Record<string, string>;
  asRoot?: boolean;
}

/** `command` as the sandbox runs it (the same program, user, directory and environment), by a bare engine exec. */
async function engineExec(sandbox: DockerSandbox, command: string, options: EngineExecOptions = {}) {
  const exec = await dockerClient()
    .getContainer(sandbox.containerId)
    .exec({
      Cmd: execArgv(command),
      AttachStdout: true,
      AttachStderr: true,
      WorkingDir: options.cwd ?? sandbox.workdir,
      Env: Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`),
      User: options.asRoot ? '0:0' : '1000:1000',
    });
  const stream = await exec.start({ hijack: true, stdin: false });
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  const text = async (output: PassThrough) => (await output.toArray()).map(String).join('');
  const texts = Promise.all([text(stdout), text(stderr)]);
  dockerClient().modem.demuxStream(stream, stdout, stderr);
  stream.on('end', () => [stdout, stderr].forEach((output) => output.end()));
  const [out, err] = await texts;
  return { stdout: out, stderr: err, exitCode: (await exec.inspect()).ExitCode };
}

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
    const asExec = await engineExec(sandbox, probe, options);
    assert.equal(onRunner.stderr, '');
    assert.equal(onRunner.stdout, asExec.stdout);
    assert.match(onRunner.stdout, /^EXTRA=one two$/m);
    assert.match(onRunner.stdout, /^SHLVL=1$/m);
    assert.match(onRunner.stdout, /^own process group$/m);
    const asRoot = await sandbox.exec('id -u; env | sort', { asRoot: true });
    assert.equal(asRoot.stdout, (await engineExec(sandbox, 'id -u; env | sort', { asRoot: true })).stdout);
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
    const { exitCode, stdout, stderr } = await sandbox.exec('echo a\0b');
    const asExec = await engineExec(sandbox, 'echo a\0b');
    assert.notEqual(asExec.exitCode, 0);
    assert.deepEqual({ exitCode, stdout, stderr }, asExec);
    assert.equal((await sandbox.exec('echo next')).stdout, 'next\n');
  });

  test('a missing working directory is named, and the runner goes on', async () => {
    await assert.rejects(sandbox.exec('pwd', { cwd: '/no/such/folder' }), /no such directory.*\/no\/such\/folder/);
    assert.equal((await sandbox.exec('pwd', { cwd: '/tmp' })).stdout, '/tmp\n');
  });

  test("a command's input reaches it on the runner byte for byte; input it leaves unread is not fed to the next", async () => {
    const input = Buffer.concat([Buffer.from('\0rollout-end 0123 0\n'), randomBytes(300_000), Buffer.from([0])]);
    const parent = 'head -c 14 /proc/$PPID/cmdline | tr "\\0" " "; echo; ';
    const echoed = await sandbox.exec(`${parent} od -An -v -tx1 | tr -d " \\n"`, { stdin: input });
    assert.equal(echoed.stdout, `bash -c set -m\n${input.toString('hex')}`, 'run by the runner, input whole');
    const unread = await sandbox.exec('head -c 3; echo " read"', { stdin: Buffer.alloc(1_000_000, 'y') });
    assert.equal(unread.stdout, 'yyy read\n');
    assert.equal((await sandbox.exec('echo next; cat', { stdin: 'its own' })).stdout, 'next\nits own');
    assert.equal((await sandbox.exec('ls -A /tmp', { asRoot: true })).stdout, '', 'no kept input is left');
  });

  test('a command given input where no temporary folder is writable is refused unstarted, and the runner goes on', async () => {
    await sandbox.exec('chmod 0555 /tmp', { asRoot: true });
    try {
      await assert.rejects(
        sandbox.exec('echo started', { stdin: 'x' }),
        /no writable temporary folder \(TMPDIR or \/tmp\) to keep a command's input/,
      );
    } finally {
      await sandbox.exec('chmod 1777 /tmp', { asRoot: true });
    }
    assert.equal((await sandbox.exec('cat', { stdin: 'next' })).stdout, 'next');
  });

  test('an input cut short on its way in is an infrastructure error: the program never starts, the next command runs', async () => {
    const proxy = await engineProxy(4096);
    const cut = await DockerSandbox.create({ image: imageForProfile('python'), dockerHost: proxy.address });
    try {
      await assert.rejects(
        cut.exec('cat >/tmp/got', { stdin: Buffer.alloc(65_536, 'x') }),
        (error: Error) => error instanceof InfrastructureError && /input arrived cut short/.test(error.message),
      );
      assert.equal((await cut.exec('test -e /tmp/got')).exitCode, 1, 'the program did not run on part of its input');
    } finally {
      await cut.destroy();
      await proxy.close();
    }
  });

  test('a program that leaves its sandbox standing ends once its commands are done: an idle runner holds nothing open', async () => {
    const child = join(__dirname, '..', '..', 'support', 'idle-runner.child.js');
    const { stdout } = await promisify(execFile)(process.execPath, [child], { timeout: 60_000 });
    const [containerId, ran] = stdout.trim().split(' ');
    await dockerClient().getContainer(containerId!).remove({ force: true });
    assert.equal(ran, 'ran');
  });
});
