import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { dockerClient, LABELS } from '../../../src/core/sandbox/engine';
import { InfrastructureError } from '../../../src/core/sandbox/sandbox';
import { DockerRunner, huggingFaceCache } from '../../../src/core/train/dockerRunner';
import { chooseRunner, train, trainInvocation } from '../../../src/core/train/jobs';
import type { RunnerEvent } from '../../../src/core/train/runner';
import { nvidiaGpuPresent } from '../../../src/core/train/venv';
import { cpuRunner, sftLines, tempDir, tinyModel } from './helpers';
import { trainerImage } from './trainerImage';

describe('trainer runner in a real Docker container (dockerode)', { timeout: 900_000 }, () => {
  test('sft runs in a container of the trainer image, streams progress and writes the adapter on the host; it asks for GPUs only where the host has them', async () => {
    const image = await trainerImage();
    // As `rollout train --docker-image IMG` chooses: the image's own python, the host's GPUs when nvidia-smi finds any.
    const runner = await chooseRunner({ dockerImage: image });
    const model = await tinyModel(await cpuRunner());
    const folder = tempDir('docker');
    const data = join(folder, 'sft.jsonl');
    writeFileSync(data, sftLines(8));
    const events: RunnerEvent[] = [];
    // The container is removed at the end: its settings are read while it runs (python takes seconds to start).
    const watch = firstContainerOf(image);
    const result = await train(
      runner,
      { method: 'sft', data, baseModel: model, out: join(folder, 'out'), device: 'cpu', maxSteps: 2, saveSteps: 1000 },
      { onEvent: (event) => events.push(event) },
    ).finally(() => watch.stop());
    assert.deepEqual(
      events
        .filter((event) => event.event === 'progress')
        .map((event) => (event.event === 'progress' ? event.step : 0)),
      [1, 2],
    );
    const adapter = join(result.outputs.adapter as string, 'adapter_model.safetensors');
    assert.ok(existsSync(adapter));
    assert.equal(statSync(adapter).uid, process.getuid?.(), 'outputs belong to the calling user');
    const inspected = await watch.inspected;
    assert.deepEqual(
      inspected.HostConfig.DeviceRequests ?? null,
      (await nvidiaGpuPresent()) ? (await dockerCliGpuRequest(image)).DeviceRequests : null,
      "no GPU request on a host without GPUs; the docker CLI's --gpus all on one with them",
    );
    const left = await dockerClient().listContainers({ all: true, filters: ownContainers(image) });
    assert.deepEqual(left, [], 'the container is removed after the run');
  });

  test('asked for GPUs, the container requests them field for field as `docker run --gpus all` does (the docker CLI as reference), and an engine without a GPU runtime refuses it as such', async () => {
    const image = await trainerImage();
    const runner = new DockerRunner({ image, gpus: true });
    const folder = tempDir('docker-gpu');
    const job = { method: 'sft' as const, data: join(folder, 'x.jsonl'), baseModel: folder, out: join(folder, 'out') };
    // Created, not started: an engine with no GPU runtime cannot start it.
    const container = await dockerClient().createContainer(runner.containerSpec(trainInvocation(job)));
    try {
      const inspected = await container.inspect();
      assert.deepEqual(inspected.HostConfig.DeviceRequests, (await dockerCliGpuRequest(image)).DeviceRequests);
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
    if (!(await nvidiaGpuPresent())) {
      writeFileSync(job.data, sftLines(1));
      await assert.rejects(
        train(runner, job),
        (error: Error) =>
          error instanceof InfrastructureError &&
          /cannot give the trainer's container the GPUs it asks for/.test(error.message) &&
          /--no-gpus/.test(error.message),
      );
    }
  });
});

/** The settings of the first container of `image` that runs, polled for until `stop` is called. */
/** The containers of `image` that this process started: another test run on the same engine may run its own. */
function ownContainers(image: string): { ancestor: string[]; label: string[] } {
  return { ancestor: [image], label: [`${LABELS.ownerPid}=${process.pid}`] };
}

function firstContainerOf(image: string): { inspected: Promise<Docker.ContainerInspectInfo>; stop: () => void } {
  let stopped = false;
  const inspected = (async () => {
    for (; !stopped; await sleep(50)) {
      const [running] = await dockerClient().listContainers({ filters: ownContainers(image) });
      if (running) return dockerClient().getContainer(running.Id).inspect();
    }
    throw new Error(`no container of ${image} was seen running`);
  })();
  inspected.catch(() => undefined);
  return { inspected, stop: () => (stopped = true) };
}

/** What the docker CLI's `--gpus all` asks the engine for: a container it creates (never started), inspected. */
async function dockerCliGpuRequest(image: string): Promise<Docker.HostConfig> {
  const id = execFileSync('docker', ['create', '--gpus', 'all', image, 'true'], { encoding: 'utf8' }).trim();
  try {
    return (await dockerClient().getContainer(id).inspect()).HostConfig;
  } finally {
    await dockerClient().getContainer(id).remove({ force: true });
  }
}
