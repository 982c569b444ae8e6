/**
 * A real SSH server for tests of `--docker-host ssh://`: Debian's OpenSSH sshd on a loopback port, with its own
 * host key, one authorised client key and its own config in a temporary folder, and an ssh-agent holding that
 * key (the way dockerode authenticates, through SSH_AUTH_SOCK). Over it, the engine is reached as the docker
 * CLI does: `docker system dial-stdio` on the far side.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { startServerOnFreePort } from './serverOnFreePort';

export interface LocalSshd {
  /** `ssh://USER@127.0.0.1:PORT`, as `--docker-host` takes it. */
  address: string;
  /** The agent's socket, for SSH_AUTH_SOCK. */
  agentSocket: string;
  stop(): Promise<void>;
}

/** Resolves once ssh-agent -D prints the socket it serves on (it prints it after listening). */
function agentServing(agent: ChildProcess): Promise<void> {
  let printed = '';
  return new Promise((resolve, reject) => {
    agent.stdout?.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      if (printed.includes('SSH_AUTH_SOCK=')) resolve();
    });
    agent.once('error', reject);
    agent.once('exit', (code) => reject(new Error(`ssh-agent exited (${code}): ${printed}`)));
  });
}

function sshdConfig(dir: string, port: number): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'StrictModes no',
    'UsePAM no',
    '',
  ].join('\n');
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}

export async function startLocalSshd(): Promise<LocalSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-sshd-'));
  const keygen = (name: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
  keygen('host_key');
  keygen('client_key');
  execFileSync('cp', [join(dir, 'client_key.pub'), join(dir, 'authorized_keys')]);
  // sshd's privilege separation needs this folder; a system without the service running may not have it.
  mkdirSync('/run/sshd', { recursive: true });
  const config = join(dir, 'sshd_config');
  const sshd = await startServerOnFreePort({
    name: 'sshd',
    command: '/usr/sbin/sshd',
    args: (port) => {
      writeFileSync(config, sshdConfig(dir, port));
      return ['-D', '-e', '-f', config];
    },
    listening: (port) => new RegExp(`Server listening on 127\\.0\\.0\\.1 port ${port}\\.`),
  });
  const agentSocket = join(dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await agentServing(agent);
    execFileSync('ssh-add', ['-q', join(dir, 'client_key')], { env: { ...process.env, SSH_AUTH_SOCK: agentSocket } });
  } catch (error) {
    await Promise.all([stopChild(sshd.child), stopChild(agent)]);
    throw error;
  }
  return {
    address: `ssh://${userInfo().username}@127.0.0.1:${sshd.port}`,
    agentSocket,
    async stop() {
      await Promise.all([stopChild(sshd.child), stopChild(agent)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
