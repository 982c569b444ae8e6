/**
 * The image of a CodeAssistBench task that ships a Dockerfile, built by the container engine offline
 * (build steps get no network) and reused by its content hash.
 */
import { createHash } from 'node:crypto';
import * as tar from 'tar-stream';
import { dockerClient } from '../../sandbox/engine';
import { InfrastructureError } from '../../sandbox/sandbox';
import type { Task } from '../../task/task';

export function dockerfileImageTag(task: Task, dockerfile: string): string {
  const name = task.id.toLowerCase().replace(/[^a-z0-9._-]/g, '_');
  return `rollout-studio/cab-${name}:${createHash('sha256').update(dockerfile).digest('hex').slice(0, 12)}`;
}

/** Builds (or finds) the task's image; a Dockerfile that cannot build offline is an infrastructure error naming the task. */
export async function buildDockerfileImage(task: Task, dockerfile: string, dockerHost?: string): Promise<string> {
  const docker = dockerClient(dockerHost);
  const tag = dockerfileImageTag(task, dockerfile);
  if (
    await docker
      .getImage(tag)
      .inspect()
      .then(
        () => true,
        () => false,
      )
  )
    return tag;
  const context = tar.pack();
  context.entry({ name: 'Dockerfile' }, dockerfile);
  context.finalize();
  let failure: string | undefined;
  try {
    const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
      t: tag,
      networkmode: 'none',
      forcerm: true,
    });
    const events = await new Promise<{ error?: string; errorDetail?: { message?: string } }[]>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[]) =>
        error ? reject(error) : resolve(output),
      ),
    );
    failure = events.find((event) => event.error)?.error;
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  if (failure) {
    throw new InfrastructureError(
      `task ${task.id}: its Dockerfile did not build offline: ${failure.trim()}`,
      'make the base image and everything the Dockerfile downloads available locally, or pass --dockerfile-fallback to run the task in its language profile image',
    );
  }
  return tag;
}
