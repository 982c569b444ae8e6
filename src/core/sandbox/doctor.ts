import { spawnSync } from 'node:child_process';
import { mkdirSync, statfsSync } from 'node:fs';
import { cacheDir } from '../paths';
import { dockerClient, engineAddress, explainEngineError } from './engine';
import { imageExists, imageForProfile, imageProfiles } from './images';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** The exact command or step that fixes a failed check. */
  fix?: string;
}

const MIN_FREE_BYTES = 5 * 1024 ** 3;

/** Everything the sandbox needs, checked in order; later checks are skipped only where they cannot be asked. */
export async function runDoctor(): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const engine = await checkEngine();
  checks.push(engine);
  if (engine.ok) checks.push(...(await checkImages()));
  checks.push(checkMmdebstrap(), checkDiskSpace());
  return checks;
}

async function checkEngine(): Promise<DoctorCheck> {
  try {
    const version = await dockerClient().version();
    return {
      name: 'docker engine',
      ok: true,
      detail: `${engineAddress()}: Docker ${version.Version} (API ${version.ApiVersion})`,
    };
  } catch (error) {
    return {
      name: 'docker engine',
      ok: false,
      detail: explainEngineError(error).message.split('\n')[0],
      fix: 'sudo bash sandbox/setup.sh (installs docker.io and starts dockerd), or set DOCKER_HOST',
    };
  }
}

async function checkImages(): Promise<DoctorCheck[]> {
  return Promise.all(
    imageProfiles().map(async (profile) => {
      const image = imageForProfile(profile);
      const present = await imageExists(image);
      return {
        name: `image ${profile}`,
        ok: present,
        detail: present ? image : `${image} is missing`,
        fix: present ? undefined : `rollout images build ${profile}`,
      };
    }),
  );
}

function checkMmdebstrap(): DoctorCheck {
  const found = spawnSync('mmdebstrap', ['--version'], { encoding: 'utf8' });
  if (found.status === 0) return { name: 'image builder', ok: true, detail: found.stdout.trim() };
  return {
    name: 'image builder',
    ok: false,
    detail: 'mmdebstrap not found: images cannot be built offline',
    fix: 'sudo apt-get install mmdebstrap',
  };
}

function checkDiskSpace(): DoctorCheck {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const stats = statfsSync(dir);
  const free = stats.bavail * stats.bsize;
  const detail = `${(free / 1024 ** 3).toFixed(1)} GiB free at ${dir}`;
  if (free >= MIN_FREE_BYTES) return { name: 'disk space', ok: true, detail };
  return {
    name: 'disk space',
    ok: false,
    detail,
    fix: `free at least ${MIN_FREE_BYTES / 1024 ** 3} GiB, or point ROLLOUT_CACHE at a larger disk`,
  };
}
