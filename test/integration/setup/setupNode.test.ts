import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureProfileImage } from '../../../src/core/sandbox/images';

const ROOT = join(__dirname, '..', '..', '..', '..');
// Where the machine trusts a TLS-inspecting proxy, the container must trust it too to reach the registry.
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

function docker(args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (status) => resolve({ status, output }));
  });
}

test('sandbox/setup-node.sh installs Node >= 20 on a fresh Debian 12 without Node and puts rollout on PATH (real Docker, the Debian mirror and the npm registry)', async () => {
  // The python sandbox image is a bare Debian 12 (either build route) with neither Node nor curl.
  const { image } = await ensureProfileImage('python');
  const mounts = [
    ['sandbox/setup-node.sh', 'sandbox/setup-node.sh'],
    ['dist', 'dist'],
    ['package.json', 'package.json'],
  ].flatMap(([from, to]) => ['-v', `${join(ROOT, from)}:/opt/rollout-studio/${to}:ro`]);
  if (existsSync(CA_BUNDLE)) mounts.push('-v', `${CA_BUNDLE}:${CA_BUNDLE}:ro`);
  const registry = process.env.npm_config_registry
    ? ['-e', `npm_config_registry=${process.env.npm_config_registry}`]
    : [];
  const script = [
    'set -e',
    'if command -v node; then echo "the image already has node"; exit 9; fi',
    'cat /etc/debian_version',
    'bash /opt/rollout-studio/sandbox/setup-node.sh',
    'echo "rollout is $(command -v rollout)"',
    'echo "version $(rollout --version)"',
    'echo "npm $(npm --version)"',
    'bash /opt/rollout-studio/sandbox/setup-node.sh',
  ].join('\n');
  const { status, output } = await docker([
    'run',
    '--rm',
    '--user',
    'root',
    ...mounts,
    ...registry,
    image,
    'bash',
    '-c',
    script,
  ]);
  assert.equal(status, 0, output);
  assert.match(output, /^12\.\d+$/m, 'the container is Debian 12');
  assert.match(output, /installing Node\.js 20\.\d+\.\d+/);
  assert.match(output, /^rollout is \/usr\/local\/bin\/rollout$/m);
  assert.match(output, /^version 0\.\d+\.\d+$/m);
  assert.match(output, /^npm 10\.\d+\.\d+$/m);
  assert.match(output, /node: v20\.\d+\.\d+ \(>= 20, kept\)/, 'a second run keeps the installed Node');
});
