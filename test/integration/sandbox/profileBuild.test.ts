import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { Engine } from '../../../src/core/sandbox/engine';
import { buildProfileImage, imageForProfile, loadRecipe, profileBuildRoute } from '../../../src/core/sandbox/images';
import { startLocalRegistry, type LocalRegistry } from '../../support/localRegistry';
import { buildOffline, pushAndRemove, removeImage } from '../../support/instanceImage';

/**
 * A Debian root filesystem with apt, as root: the part of debian:bookworm-slim the profile Dockerfile needs. Its
 * last layer is a file of its own, so no image on the engine (another test run's base, the profile image it starts
 * from) holds all of it and the pull must fetch it.
 */
function debianBase(tag: string): void {
  const context = mkdtempSync(join(tmpdir(), 'rollout-debian-base-'));
  try {
    writeFileSync(join(context, 'base-id'), randomBytes(16).toString('hex'));
    writeFileSync(
      join(context, 'Dockerfile'),
      `FROM ${imageForProfile('python')}\nUSER root\nWORKDIR /\nCOPY base-id /etc/rollout-test-base-id\n`,
    );
    buildOffline(tag, context);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

describe('profile images by docker build on a base image from a registry (real Docker, Debian docker-registry)', () => {
  let registry: LocalRegistry;
  let base: string;
  const image = `rollout-studio-test/python-docker-build:${randomBytes(4).toString('hex')}`;

  before(async () => {
    registry = await startLocalRegistry();
    base = `${registry.host}/library/debian:bookworm-slim`;
    debianBase(base);
    pushAndRemove(base);
  });
  after(async () => {
    await registry?.stop();
    for (const name of [image, base]) if (name) removeImage(name);
  });

  test('auto takes docker build when the registry gives the base: pulled with progress, built from sandbox/images/Dockerfile', async () => {
    const lines: string[] = [];
    const route = await buildProfileImage(loadRecipe('python'), image, {
      route: 'auto',
      baseImage: base,
      log: (line) => lines.push(line),
    });
    assert.equal(route, 'docker-build');
    assert.ok(
      lines.some((line) => /^pulling .*: (\d+)\/\1 layers/.test(line)),
      `pull progress: ${lines.join('\n')}`,
    );
    const info = await Engine.at().inspectImage(image);
    assert.equal(info?.Config.Labels?.['rollout-studio.build-route'], 'docker-build');
    assert.equal(info?.Config.User, 'agent');
    const sandbox = await DockerSandbox.create({
      image,
      repo: { location: join(process.cwd(), 'tasks', 'examples', 'bytesize__bytesize-22', 'repo') },
    });
    try {
      const result = await sandbox.exec('id -u; pwd; python3 -m pytest -q -p no:cacheprovider tests 2>&1 | tail -1');
      assert.match(result.stdout, /^1000\n\/work\/repo\n.*passed/s);
    } finally {
      await sandbox.destroy();
    }
  });

  test('auto falls back to mmdebstrap when no registry gives the base', async () => {
    const lines: string[] = [];
    const route = await profileBuildRoute(Engine.at(), 'auto', `${registry.host}/library/debian:no-such-tag`, (line) =>
      lines.push(line),
    );
    assert.equal(route, 'mmdebstrap');
    assert.match(lines.join('\n'), /no registry gave .*debian:no-such-tag: building offline with mmdebstrap/);
  });
});
