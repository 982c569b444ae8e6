import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dockerClient } from '../../../src/core/sandbox/engine';
import { ensureProfileImage } from '../../../src/core/sandbox/images';
import { DockerRunner, huggingFaceCache } from '../../../src/core/train/dockerRunner';
import { train, trainInvocation } from '../../../src/core/train/jobs';
import type { RunnerEvent } from '../../../src/core/train/runner';
import { cpuRunner, sftLines, tempDir, tinyModel } from './helpers';

/**
 * The project's python sandbox image has no torch; the pinned CPU venv and the python it was made
 * from are mounted at their own paths, so the container runs the real runner with real torch.
 */
async function runnerInContainer(gpus: boolean): Promise<DockerRunner> {
  const venvPython = (await cpuRunner()).description.replace(/^venv /, '');
  const venv = dirname(dirname(venvPython));
  const basePython = dirname(dirname(realpathSync(venvPython)));
  const { image } = await ensureProfileImage('python', { log: (line) => console.error(line) });
  return new DockerRunner({ image, gpus, python: venvPython, extraMounts: [venv, basePython] });
}

describe('trainer runner in a real Docker container (dockerode)', { timeout: 600_000 }, () => {
  test('sft runs in the container, streams progress and writes the adapter on the host', async () => {
    const runner = await runnerInContainer(false);
    const model = await tinyModel(await cpuRunner());
    const folder = tempDir('docker');
    const data = join(folder, 'sft.jsonl');
    writeFileSync(data, sftLines(8));
    const events: RunnerEvent[] = [];
    const result = await train(
      runner,
      { method: 'sft', data, baseModel: model, out: join(folder, 'out'), device: 'cpu', maxSteps: 2, saveSteps: 1000 },
      { onEvent: (event) => events.push(event) },
    );
    assert.deepEqual(
      events
        .filter((event) => event.event === 'progress')
        .map((event) => (event.event === 'progress' ? event.step : 0)),
      [1, 2],
    );
    const adapter = join(result.outputs.adapter as string, 'adapter_model.safetensors');
    assert.ok(existsSync(adapter));
    assert.equal(statSync(adapter).uid, process.getuid?.(), 'outputs belong to the calling user');
    const containers = await dockerClient().listContainers({
      all: true,
      filters: {
        ancestor: [
          runner.containerSpec(trainInvocation({ method: 'sft', data, baseModel: model, out: folder })).Image!,
        ],
      },
    });
    assert.equal(
      containers.filter((c) => c.Command.includes('rollout_trainer')).length,
      0,
      'the container is removed after the run',
    );
  });

  test('with GPUs, the engine receives a request for every GPU (DeviceRequests) and the Hugging Face cache is shared', async () => {
    const runner = await runnerInContainer(true);
    const folder = tempDir('docker-gpu');
    const spec = runner.containerSpec(
      trainInvocation({ method: 'sft', data: join(folder, 'x.jsonl'), baseModel: folder, out: join(folder, 'out') }),
    );
    const container = await dockerClient().createContainer(spec);
    try {
      const inspected = await container.inspect();
      assert.deepEqual(
        inspected.HostConfig.DeviceRequests?.map((request) => ({
          Count: request.Count,
          Capabilities: request.Capabilities,
        })),
        [{ Count: -1, Capabilities: [['gpu']] }],
      );
      assert.equal(inspected.HostConfig.NetworkMode, 'host');
      assert.ok(inspected.HostConfig.Binds?.some((bind) => bind.endsWith(':/opt/rollout-trainer:ro')));
      const cache = huggingFaceCache();
      assert.ok(
        inspected.HostConfig.Binds?.includes(`${cache}:${cache}`),
        'the host HF cache is mounted at its own path',
      );
      assert.ok(inspected.Config.Env.includes(`HF_HOME=${cache}`), 'and the container downloads into it');
    } finally {
      await container.remove({ force: true });
    }
  });
});
