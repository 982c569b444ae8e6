import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { dockerClient, Engine, LABELS, ownerLabels } from '../../../src/core/sandbox/engine';
import { ensureProfileImage } from '../../../src/core/sandbox/images';
import { trainerDir, venvDir } from '../../../src/core/train/venv';
import { tempDir } from './helpers';

const CACHE_IN_IMAGE = '/opt/rollout-studio';
const TRAINER_IN_IMAGE = '/opt/rollout-trainer';
const TRAINER_REPOSITORY = 'rollout-studio/trainer-cpu';

/**
 * The trainer's image as docs/trainer.md asks for one (python, the pinned torch and requirements), made the way a
 * machine with no image registry can: the python profile image with sandbox/trainer/setup-venv.sh run inside it,
 * pip reading this machine's own settings and package stores (mounted read-only), committed with the venv first on
 * PATH, so `python` is the trainer's. Tagged by the pins (the venv's key), setup-venv.sh and the base image: an
 * unchanged recipe is built once per engine.
 */
export async function trainerImage(log: (line: string) => void = (line) => console.error(line)): Promise<string> {
  const docker = dockerClient();
  const { image: base } = await ensureProfileImage('python', { log });
  const venv = `${CACHE_IN_IMAGE}/${basename(venvDir('cpu'))}`;
  const setupScript = readFileSync(join(trainerDir(), 'setup-venv.sh'));
  const baseId = (await docker.getImage(base).inspect()).Id;
  const key = createHash('sha256').update(venv).update(setupScript).update(baseId).digest('hex').slice(0, 12);
  const image = `${TRAINER_REPOSITORY}:${key}`;
  await removeOtherTags(TRAINER_REPOSITORY, key);
  if (await Engine.at().hasImage(image)) return image;
  log(`building ${image}: setup-venv.sh in ${base}`);
  const pip = pipSettings();
  const container = await docker.createContainer({
    Image: base,
    User: '0:0',
    Cmd: ['env', `ROLLOUT_CACHE=${CACHE_IN_IMAGE}`, 'bash', `${TRAINER_IN_IMAGE}/setup-venv.sh`],
    Labels: ownerLabels(`trainer-image-${key}`),
    HostConfig: {
      Binds: [
        `${trainerDir()}:${TRAINER_IN_IMAGE}:ro`,
        `${pip.config}:/etc/pip.conf:ro`,
        ...pip.folders.map((folder) => `${folder}:${folder}:ro`),
      ],
    },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    if (StatusCode !== 0) {
      const output = (await container.logs({ stdout: true, stderr: true, tail: 30 })).toString('utf8');
      throw new Error(`setup-venv.sh failed building ${image} (exit ${StatusCode}):\n${output}`);
    }
    await container.commit({
      repo: TRAINER_REPOSITORY,
      tag: key,
      changes: [
        `ENV PATH=${venv}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
        // The build container's owner labels would mark the image as a dead process's snapshot, for the reaper.
        `LABEL ${LABELS.tool}=rollout-studio-cache`,
      ],
    });
  } finally {
    await container.remove({ force: true });
  }
  return image;
}

/**
 * Images of an older recipe are never used again; at 1.7 GB each, a machine that tests often would fill up. One a
 * container still uses (the engine answers 409) stays.
 */
async function removeOtherTags(repository: string, keep: string): Promise<void> {
  const docker = dockerClient();
  const images = await docker.listImages({ filters: { reference: [repository] } });
  for (const tag of images.flatMap((image) => image.RepoTags ?? []))
    if (tag !== `${repository}:${keep}`)
      await docker
        .getImage(tag)
        .remove()
        .catch((error: { statusCode?: number }) => {
          if (error.statusCode !== 409) throw error;
        });
}

/**
 * This machine's pip settings (its config files and PIP_* variables, as `pip config list` merges them) as one
 * config file for the container, and the local folders they name (wheel stores, file:// indexes, constraints).
 */
function pipSettings(): { config: string; folders: string[] } {
  const listed = execFileSync('python3', ['-m', 'pip', 'config', 'list'], { encoding: 'utf8' });
  const settings = new Map<string, string>();
  for (const line of listed.split('\n')) {
    const match = /^[^.]*\.([\w-]+)='(.*)'$/.exec(line.trim());
    if (match) settings.set(match[1], match[2]);
  }
  // As setup-venv.sh does on the host: a local store is the index, so pip never waits on an unreachable default one
  // (Debian's pip 23.0 in the image cannot read the setting back with `pip config get` for the script to do it).
  const [first, ...rest] = (settings.get('extra-index-url') ?? '').split(/\s+/);
  if (!settings.has('index-url') && first.startsWith('file://')) {
    settings.set('index-url', first);
    if (rest.length) settings.set('extra-index-url', rest.join(' '));
    else settings.delete('extra-index-url');
  }
  const folders = new Set<string>();
  for (const [name, value] of settings)
    for (const word of value.split(/\s+/)) {
      const path = word.startsWith('file://') ? new URL(word).pathname : word;
      if (!path.startsWith('/')) continue;
      // A file:// index's pages link to files beside its simple/ folder; a setting naming a file needs its folder.
      folders.add(name.endsWith('index-url') || /\.\w+$/.test(path) ? dirname(path) : path);
    }
  const config = join(tempDir('pip'), 'pip.conf');
  writeFileSync(config, `[global]\n${[...settings].map(([name, value]) => `${name} = ${value}`).join('\n')}\n`);
  return { config, folders: [...folders] };
}
