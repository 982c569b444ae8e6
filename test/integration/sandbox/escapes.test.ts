/**
 * What a hostile agent's shell tool tries from inside a sandbox on a real Docker engine, as the agent's user and
 * as root (instance images run commands as their own user, often root): each attempt is contained, the host
 * unchanged, and what the agent sees says why.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createDefaultToolbox } from '../../../src/core/agent/tools/toolbox';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { dockerClient } from '../../../src/core/sandbox/engine';
import { ensureProfileImage } from '../../../src/core/sandbox/images';
import { prepareCheckout } from '../../../src/core/sandbox/repoCheckout';
import { resolveRepoSource } from '../../../src/core/task/repoResolver';
import type { Task } from '../../../src/core/task/task';
import { patchFileVersions, runBaseReader } from '../../../src/core/trajectory/patchFiles';

const MAX_FILE_BYTES = 1024 ** 2;

describe('escape attempts from inside a sandbox on a real Docker engine', () => {
  let sandbox: DockerSandbox;
  // A file only the host has: no attempt from inside may read it.
  const hostSecretDir = mkdtempSync(join(tmpdir(), 'rollout-escape-host-'));
  const hostSecret = join(hostSecretDir, 'secret.txt');
  const secretText = `host secret ${randomUUID()}\n`;
  writeFileSync(hostSecret, secretText);
  const users = [
    { name: 'the agent', asRoot: false },
    { name: 'root', asRoot: true },
  ];

  before(async () => {
    const repo = mkdtempSync(join(tmpdir(), 'rollout-escape-repo-'));
    writeFileSync(join(repo, 'README.md'), '# escape attempts\n');
    const { image } = await ensureProfileImage('python');
    sandbox = await DockerSandbox.create({ image, repo: { location: repo }, maxFileBytes: MAX_FILE_BYTES });
  });
  after(async () => sandbox?.destroy());

  test("the host's Docker socket is not in the sandbox", async () => {
    for (const { name, asRoot } of users) {
      const probe = await sandbox.exec(
        'for s in /var/run/docker.sock /run/docker.sock /run/containerd/containerd.sock; do [ -e $s ] && echo $s; done; echo "DOCKER_HOST=$DOCKER_HOST"',
        { asRoot },
      );
      assert.equal(probe.stdout, 'DOCKER_HOST=\n', `${name} finds no engine socket`);
    }
  });

  test('mounting and new namespaces are refused, also to root', async () => {
    // Through libc, as any program can (the image has no mount or unshare command).
    const syscall = (call: string) =>
      `python3 -c "import ctypes, os; libc = ctypes.CDLL(None, use_errno=True); os.makedirs('/tmp/m', exist_ok=True); print(${call}, os.strerror(ctypes.get_errno()))"`;
    const CLONE_NEWUSER_NEWNS = 0x10000000 | 0x00020000;
    for (const { name, asRoot } of users) {
      const mount = await sandbox.exec(syscall("libc.mount(b'none', b'/tmp/m', b'tmpfs', 0, None)"), { asRoot });
      assert.equal(mount.stdout, '-1 Operation not permitted\n', `${name}: mount`);
      const unshare = await sandbox.exec(syscall(`libc.unshare(${CLONE_NEWUSER_NEWNS})`), { asRoot });
      assert.equal(unshare.stdout, '-1 Operation not permitted\n', `${name}: a new user and mount namespace`);
    }
  });

  test('raw sockets are refused and there is no network, also to root', async () => {
    for (const { name, asRoot } of users) {
      const raw = await sandbox.exec(
        `python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)"`,
        { asRoot },
      );
      assert.notEqual(raw.exitCode, 0, `${name} opened a raw socket`);
      assert.match(raw.stderr, /PermissionError|not permitted/);
      const connect = await sandbox.exec(
        `python3 -c "import socket; socket.create_connection(('1.1.1.1', 53), timeout=3)"`,
        { asRoot },
      );
      assert.notEqual(connect.exitCode, 0, `${name} reached the network`);
      assert.match(connect.stderr, /unreachable/i);
    }
  });

  test('/proc leads to no host file and no kernel setting, also for root', async () => {
    const hostName = hostname();
    for (const { name, asRoot } of users) {
      const throughInit = await sandbox.exec(`cat /proc/1/root${hostSecret}`, { asRoot });
      assert.notEqual(throughInit.exitCode, 0, `${name} read a host file through /proc/1/root`);
      assert.doesNotMatch(throughInit.stdout, /host secret/);
      const setting = await sandbox.exec('echo escaped > /proc/sys/kernel/hostname', { asRoot });
      assert.notEqual(setting.exitCode, 0, `${name} wrote a kernel setting`);
      assert.match(setting.stderr, /Read-only file system|Permission denied/);
      const sysrq = await sandbox.exec('echo h > /proc/sysrq-trigger', { asRoot });
      assert.notEqual(sysrq.exitCode, 0, `${name} reached the host's sysrq trigger`);
    }
    assert.equal(hostname(), hostName);
  });

  test('a file past the size limit ends its writer with a clear reason and stays at the limit', async () => {
    const toolbox = createDefaultToolbox();
    const big = await toolbox.call(
      { function: { name: 'bash', arguments: JSON.stringify({ command: 'head -c 3000000 /dev/zero > big.bin' }) } },
      { sandbox },
    );
    assert.match(big.output, /^exit code: 153\n/, big.output);
    assert.match(big.output, /File size limit exceeded/);
    assert.equal((await sandbox.exec('stat -c %s big.bin')).stdout.trim(), String(MAX_FILE_BYTES));
    const asRoot = await sandbox.exec('head -c 3000000 /dev/zero > /tmp/big-root.bin', { asRoot: true });
    assert.equal(asRoot.exitCode, 153, 'root cannot raise the hard limit');
    await sandbox.exec('rm -f big.bin /tmp/big-root.bin', { asRoot: true });
  });

  // 256 MB here (it takes about 30 s on a loaded two-core machine); 1 GB passed the same checks in 131 s.
  test('256 MB of output without a newline: the observation is cut with a marker and memory stays bounded', async () => {
    const toolbox = createDefaultToolbox({ maxObservationChars: 10_000 });
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
    const flood = await toolbox.call(
      {
        function: {
          name: 'bash',
          arguments: JSON.stringify({
            command: "head -c 256000000 /dev/zero | tr '\\0' x; echo ' the end'",
            timeout_seconds: 300,
          }),
        },
      },
      { sandbox },
    );
    clearInterval(sampler);
    assert.equal(flood.truncated, true);
    assert.ok(flood.output.length < 11_000, `observation of ${flood.output.length} characters`);
    assert.match(flood.output, /^exit code: 0\nstdout:\nxxxx/);
    assert.match(flood.output, /observation truncated: \d+ characters/);
    assert.match(flood.output, /\[output cut at the sandbox limit\]$/);
    const grownMiB = (rssPeak - rssBefore) / 1024 ** 2;
    assert.ok(grownMiB < 200, `resident memory grew by ${grownMiB.toFixed(0)} MiB while 256 MB went by`);
  });

  test('a process that ignores SIGTERM ends with its command; destroy leaves no container', async () => {
    const stubborn = `trap '' TERM; setsid bash -c "trap '' TERM; while :; do sleep 1; done" & echo started`;
    assert.equal((await sandbox.exec(stubborn)).stdout, 'started\n');
    assert.equal((await sandbox.exec("ps -eo args= | grep -c '[w]hile :' || true")).stdout.trim(), '0');
    const other = await DockerSandbox.create({ image: (await ensureProfileImage('python')).image });
    const running = other.exec(`trap '' TERM; while :; do sleep 1; done`, { asRoot: true, timeoutMs: 600_000 });
    await other.exec('while ! pgrep -f "while :" >/dev/null; do sleep 0.1; done', { timeoutMs: 60_000 });
    const id = other.containerId;
    const ended = running.catch(() => undefined);
    await other.destroy();
    await ended;
    await assert.rejects(dockerClient().getContainer(id).inspect(), { statusCode: 404 });
  });
});

describe('files out of a sandbox on a real Docker engine', () => {
  let sandbox: DockerSandbox;
  const hostSecretDir = mkdtempSync(join(tmpdir(), 'rollout-escape-host-'));
  const hostSecret = join(hostSecretDir, 'secret.txt');
  writeFileSync(hostSecret, `host secret ${randomUUID()}\n`);

  before(async () => {
    const repo = mkdtempSync(join(tmpdir(), 'rollout-escape-repo-'));
    writeFileSync(join(repo, 'README.md'), '# links\n');
    const { image } = await ensureProfileImage('python');
    sandbox = await DockerSandbox.create({ image, repo: { location: repo } });
    const linked = await sandbox.exec(
      `ln -s ${hostSecret} secret-link && ln -s /etc/passwd passwd-link && ln -s / root-link`,
    );
    assert.equal(linked.exitCode, 0, `making the links failed: ${linked.stderr}`);
  });
  after(async () => sandbox?.destroy());

  test("a link to a host path reads the sandbox's own file system, never the host's", async () => {
    // A link at the last step is never followed (its target's content, host or not, is never read); a path through
    // a linked folder resolves inside the container's own root.
    for (const link of ['secret-link', 'passwd-link', 'root-link'])
      await assert.rejects(sandbox.readFile(link), /not a regular file in the sandbox/);
    await assert.rejects(sandbox.readFile(`root-link${hostSecret}`), /no such file or directory in the sandbox/);
    assert.match(
      (await sandbox.readFile('root-link/etc/hostname')).toString(),
      new RegExp(sandbox.containerId.slice(0, 12)),
    );
  });

  test('a write to a link replaces the link with the file and leaves its target alone', async () => {
    const passwd = (await sandbox.exec('cat /etc/passwd')).stdout;
    await sandbox.exec('ln -s /etc/passwd written-link');
    await sandbox.writeFile('written-link', 'the file itself\n');
    assert.equal((await sandbox.exec('stat -c "%F %u" written-link')).stdout, 'regular file 1000\n');
    assert.equal((await sandbox.readFile('written-link')).toString(), 'the file itself\n');
    assert.equal((await sandbox.exec('cat /etc/passwd')).stdout, passwd);
    await sandbox.exec('rm written-link');
  });

  test('the diff records links as links, and their per-file view on the host shows the target, not the file', async () => {
    const patch = await sandbox.diff();
    assert.match(patch, /new file mode 120000/);
    assert.ok(!patch.includes(readFileSync(hostSecret, 'utf8')), 'the host file is not in the patch');
    const versions = await patchFileVersions(patch, async () => undefined);
    const byPath = Object.fromEntries(versions.map((file) => [file.newPath, file.after]));
    assert.equal(byPath['secret-link'], hostSecret);
    assert.equal(byPath['passwd-link'], '/etc/passwd');
    assert.equal(byPath['root-link'], '/');
  });

  test('a snapshot and its restore keep the links as links, inside the sandbox', async () => {
    const snapshot = await sandbox.snapshot();
    await sandbox.exec('rm secret-link');
    await sandbox.restore(snapshot);
    assert.equal((await sandbox.exec('readlink secret-link')).stdout.trim(), hostSecret);
    assert.notEqual((await sandbox.exec('cat secret-link')).exitCode, 0, 'the host file is not there');
  });
});

describe('a malicious task repository runs no code on the host', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'rollout-escape-git-'));
  const marker = join(scratch, 'ran-on-host');
  const savedCache = process.env.ROLLOUT_CACHE;
  let repo: string;
  let commit: string;

  /** A repository whose hooks, filter driver and fsmonitor each create the marker file when git runs them. */
  function maliciousRepository(): string {
    const dir = join(scratch, 'evil');
    const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
    mkdirSync(dir);
    git('init', '--quiet', '--initial-branch=main');
    writeFileSync(join(dir, 'code.py'), 'print("task")\n');
    writeFileSync(join(dir, '.gitattributes'), '* filter=evil diff=evil\n');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'base');
    // Armed only now, so that making the repository ran none of it.
    const payload = `touch ${marker}`;
    for (const [key, value] of [
      ['filter.evil.smudge', `${payload}; cat`],
      ['filter.evil.clean', `${payload}; cat`],
      ['diff.evil.textconv', payload],
      ['core.fsmonitor', payload],
      ['core.hooksPath', join(dir, '.git', 'hooks')],
    ])
      git('config', key, value);
    for (const hook of ['post-checkout', 'pre-commit', 'post-commit', 'reference-transaction', 'post-index-change'])
      writeFileSync(join(dir, '.git', 'hooks', hook), `#!/bin/sh\n${payload}\n`, { mode: 0o755 });
    return dir;
  }

  before(() => {
    process.env.ROLLOUT_CACHE = join(scratch, 'cache');
    repo = maliciousRepository();
    commit = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    // The trap works: git in the repository itself runs it.
    execFileSync('git', ['-C', repo, 'status', '--short'], { stdio: 'ignore' });
    assert.ok(existsSync(marker), 'the repository runs its payload when git is used in it');
    rmSync(marker);
  });
  after(() => {
    if (savedCache === undefined) delete process.env.ROLLOUT_CACHE;
    else process.env.ROLLOUT_CACHE = savedCache;
  });

  test('prepared at a commit, as a plain folder, through a .git file, or from --repos: nothing runs', async () => {
    await prepareCheckout({ location: repo, commit });
    assert.equal(existsSync(marker), false, 'cloned and checked out at its commit');
    await prepareCheckout({ location: repo });
    assert.equal(existsSync(marker), false, 'copied as a plain folder');
    const linked = join(scratch, 'linked');
    mkdirSync(linked);
    writeFileSync(join(linked, '.git'), `gitdir: ${join(repo, '.git')}\n`);
    writeFileSync(join(linked, 'other.py'), 'print("other")\n');
    await prepareCheckout({ location: linked, commit });
    await prepareCheckout({ location: linked });
    assert.equal(existsSync(marker), false, 'a .git file pointing at the repository');
    const reposDir = join(scratch, 'repos');
    mkdirSync(reposDir);
    symlinkSync(repo, join(reposDir, 'evil__repo'));
    const task = {
      id: 'evil__repo-1',
      repo: { name: 'evil/repo', location: 'https://example.invalid/evil/repo', commit },
    };
    const source = await resolveRepoSource(task as Task, { reposDir });
    assert.equal(existsSync(marker), false, 'a local clone under --repos');
    await prepareCheckout(source);
    assert.equal(existsSync(marker), false);
  });

  test('run in a sandbox and its patch computed: nothing runs on the host', async () => {
    const { image } = await ensureProfileImage('python');
    const sandbox = await DockerSandbox.create({ image, repo: { location: repo, commit } });
    try {
      await sandbox.exec('echo "print(1)" >> code.py && echo new > added.txt');
      const patch = await sandbox.diff();
      assert.match(patch, /\+print\(1\)/);
      const versions = await patchFileVersions(
        patch,
        await runBaseReader({ run_id: 'r', extra: { repo: { location: repo, commit } } }),
      );
      assert.deepEqual(
        versions.map((file) => file.newPath),
        ['added.txt', 'code.py'],
      );
    } finally {
      await sandbox.destroy();
    }
    assert.equal(existsSync(marker), false);
  });
});
