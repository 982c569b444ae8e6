import type Docker from 'dockerode';
import { ownerIsGone } from '../processOwner';
import { LABELS, TOOL_NAME } from './engine';

/** A container or snapshot image is orphaned when the process that made it, on this host, is gone. */
function isOrphan(labels: Record<string, string> | undefined): boolean {
  if (!labels || labels[LABELS.tool] !== TOOL_NAME) return false;
  const pid = Number(labels[LABELS.ownerPid]);
  return pid !== process.pid && ownerIsGone({ host: labels[LABELS.ownerHost], pid });
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
