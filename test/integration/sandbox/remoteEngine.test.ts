import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCommand } from '../../../src/cli/commands/run';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { dockerClient } from '../../../src/core/sandbox/engine';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { readTrajectoryLog } from '../../../src/core/trajectory/reader';
import { runCaptured } from '../../support/cliCapture';
import { startLocalSshd, type LocalSshd } from '../../support/localSshd';

const ENGINE_SOCKET = '/var/run/docker.sock';
const TASK = 'pagekit__pagekit-14';

/** The engine's API on a loopback TCP port (what `dockerd -H tcp://…` serves), forwarded byte for byte to its socket. */
async function engineOverTcp(): Promise<{ server: Server; address: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((client) => {
    connections++;
    const engine = createConnection(ENGINE_SOCKET);
    client.pipe(engine).pipe(client);
    client.on('error', () => engine.destroy());
    engine.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, address: `tcp://127.0.0.1:${port}`, connections: () => connections };
}

/** `rollout run` of the solved reference of one bundled task on `dockerHost`; its reward. */
async function rewardOfRunOn(dockerHost: string): Promise<number | null | undefined> {
  const out = mkdtempSync(join(tmpdir(), 'rollout-remote-engine-'));
  const args = ['--tasks', 'tasks/examples', '--ids', TASK, '--policy', 'recorded:tasks/examples', '--out', out];
  const run = await runCaptured(runCommand, [...args, '--docker-host', dockerHost]);
  assert.equal(run.code, 0, `${run.out}\n${run.err}`);
  const [runId] = readdirSync(out).filter((name) => name.startsWith(TASK));
  const { trajectory } = await readTrajectoryLog(join(out, runId, 'trajectory.jsonl'));
  return trajectory?.result?.reward?.value;
}

describe('--docker-host: images and sandboxes on the engine it names, the default one unreachable (real Docker)', () => {
  let tcp: Awaited<ReturnType<typeof engineOverTcp>>;
  let sshd: LocalSshd;
  const saved = { DOCKER_HOST: process.env.DOCKER_HOST, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };

  before(async () => {
    tcp = await engineOverTcp();
    sshd = await startLocalSshd();
    process.env.SSH_AUTH_SOCK = sshd.agentSocket;
    // The default engine is unreachable: anything that does not go through --docker-host fails the run.
    process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
  });

  after(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await new Promise((resolve) => tcp.server.close(resolve));
    await sshd.stop();
  });

  test('tcp://HOST:PORT: a whole run (image, agent sandbox, grader) on the engine reached over TCP', async () => {
    assert.equal(await rewardOfRunOn(tcp.address), 1, 'the solved reference, graded on the same engine');
    assert.ok(tcp.connections() > 0, 'the engine was reached over TCP');
  });

  // Each Engine-API request over SSH is its own SSH connection (seconds each on a loaded machine), so this runs one
  // sandbox and one command rather than a whole rollout.
  test("ssh://USER@HOST:PORT: a sandbox started, a command run in it and removed through Debian's OpenSSH server, key in an ssh-agent", async () => {
    const sandbox = await DockerSandbox.create({ image: imageForProfile('python'), dockerHost: sshd.address });
    const id = sandbox.containerId;
    try {
      const result = await sandbox.exec('echo over ssh; python3 -c "print(6 * 7)"');
      assert.deepEqual([result.exitCode, result.stdout], [0, 'over ssh\n42\n']);
    } finally {
      await sandbox.destroy();
    }
    await assert.rejects(
      dockerClient(`unix://${ENGINE_SOCKET}`).getContainer(id).inspect(),
      (error: { statusCode?: number }) => error.statusCode === 404,
    );
  });
});
