/**
 * A sandbox cancelled while its image is made: the pull or build stops on the engine, the start rejects with the
 * cancel's reason, and nothing is left behind (real Docker).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DockerSandbox } from '../../../src/core/sandbox/dockerSandbox';
import { Engine } from '../../../src/core/sandbox/engine';
import { imageForProfile } from '../../../src/core/sandbox/images';
import { startSlowRegistry, type SlowRegistry } from '../../support/slowRegistry';

const CANCELLED = new Error('cancelled by the test');

/** Containers on the engine, stopped ones included, whose command holds `text`. */
async function containersWithCommand(text: string): Promise<string[]> {
  const containers = await Engine.at().docker.listContainers({ all: true });
  return containers.filter((container) => container.Command.includes(text)).map((container) => container.Id);
}

async function waitUntil(holds: () => Promise<boolean>, what: string): Promise<void> {
  for (let tries = 0; tries < 120; tries++) {
    if (await holds()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.fail(`still not so after 30 s: ${what}`);
}

describe('a pull cancelled mid-transfer (registry test double speaking the Registry HTTP API v2, a layer sent slowly)', () => {
  let registry: SlowRegistry;
  before(async () => {
    registry = await startSlowRegistry();
  });
  after(async () => registry?.stop());

  test('the start rejects with the cancel at once, the engine drops the layer transfer, and no image or container is left', async () => {
    const cancel = new AbortController();
    const lines: string[] = [];
    const started = DockerSandbox.create({
      image: registry.image,
      signal: cancel.signal,
      onProgress: (line) => {
        lines.push(line);
        // Bytes of the layer have arrived: the transfer is under way.
        if (/0\/1 layers, [1-9]/.test(line)) cancel.abort(CANCELLED);
      },
    });
    await assert.rejects(started, (error) => error === CANCELLED);
    assert.ok(lines.length > 0, 'the pull reported progress before the cancel');
    await registry.layerDropped;
    assert.equal(await Engine.at().hasImage(registry.image), false);
    assert.deepEqual(
      await Engine.at().docker.listContainers({ all: true, filters: { ancestor: [registry.image] } }),
      [],
    );
  });
});

describe('a build cancelled in a RUN step (real Docker)', () => {
  const tag = `rollout-studio-test/cancelled-build:${randomBytes(4).toString('hex')}`;
  const marker = `sleep 6${randomBytes(2).readUInt16BE()}`;

  test("the start rejects with the cancel at once, the engine stops the build and removes its step's container", async () => {
    const cancel = new AbortController();
    const started = DockerSandbox.create({
      image: tag,
      dockerfile: `FROM ${imageForProfile('python')}\nRUN ${marker}\n`,
      signal: cancel.signal,
      // The step's container has started: the build is under way.
      onProgress: (line) => (/Running in/.test(line) ? cancel.abort(CANCELLED) : undefined),
    });
    await assert.rejects(started, (error) => error === CANCELLED);
    await waitUntil(async () => (await containersWithCommand(marker)).length === 0, `a container runs ${marker}`);
    assert.equal(await Engine.at().hasImage(tag), false);
  });
});
