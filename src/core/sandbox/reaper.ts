import type Docker from 'dockerode';
import { hostname } from 'node:os';
import { ownerIsGone, processStart } from '../processOwner';
import { LABELS, TOOL_NAME } from './engine';

/**
 * A container or snapshot image is orphaned when the process that made it, on this host, is gone: its pid is free,
 * or taken by a process that started at another time (a worker restarted in its own container, PID 1 again).
 */
function isOrphan(labels: Record<string, string> | undefined): boolean {
  if (!labels || labels[LABELS.tool] !== TOOL_NAME) return false;
  const owner = {
    host: labels[LABELS.ownerHost],
    pid: Number(labels[LABELS.ownerPid]),
    start: labels[LABELS.ownerStart],
  };
  // Labelled before owners' starts were: an owner with this process's pid was an earlier process, since this one
  // labels its start wherever it can read it; another live pid may still be its owner and is left alone.
  if (owner.start === undefined && owner.pid === process.pid && owner.host === hostname())
    return processStart(process.pid) !== undefined;
  return ownerIsGone(owner);
}

/** Removes the containers and snapshot images that crashed or killed processes on this host left behind. */
export async function reapOrphans(docker: Docker): Promise<{ containers: number; images: number }> {
  const filters = { label: [`${LABELS.tool}=${TOOL_NAME}`] };
  const containers = (await docker.listContainers({ all: true, filters })).filter((info) => isOrphan(info.Labels));
  await Promise.all(
    containers.map((info) =>
      docker
        .getContainer(info.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  const images = (await docker.listImages({ filters })).filter((info) => isOrphan(info.Labels));
  for (const info of images)
    await docker
      .getImage(info.Id)
      .remove({ force: true })
      .catch(() => undefined);
  return { containers: containers.length, images: images.length };
}

const firstReaps = new Map<string, Promise<unknown>>();

/** Reaps once per process and engine (`engine` names it), before its first sandbox there starts. */
export function reapOrphansOnce(docker: Docker, engine = ''): Promise<unknown> {
  let reap = firstReaps.get(engine);
  if (!reap) {
    reap = reapOrphans(docker).catch((error: unknown) => {
      firstReaps.delete(engine);
      throw error;
    });
    firstReaps.set(engine, reap);
  }
  return reap;
}
