import { mkdirSync, statfsSync } from 'node:fs';
import { cacheDir } from '../paths';
import { Engine } from './engine';
import { defaultBaseImage, imageForProfile, imageProfiles, loadRecipe, mmdebstrapVersion } from './images';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** The exact command or step that fixes a failed check. */
  fix?: string;
  /** The profiles a failed image check is about, so a front end can offer to build them. */
  buildProfiles?: string[];
}

const MIN_FREE_BYTES = 5 * 1024 ** 3;

/** Everything the sandbox needs, checked in order; later checks are skipped only where they cannot be asked. */
export async function runDoctor(): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const engine = await checkEngine();
  checks.push(engine);
  if (engine.ok) checks.push(...(await checkImages()), await checkImageBuilder());
  checks.push(checkDiskSpace());
  return checks;
}

async function checkEngine(): Promise<DoctorCheck> {
  const engine = Engine.at();
  try {
    const version = await engine.docker.version();
    return {
      name: 'docker engine',
      ok: true,
      detail: `${engine.address}: Docker ${version.Version} (API ${version.ApiVersion})`,
    };
  } catch (error) {
    return {
      name: 'docker engine',
      ok: false,
      detail: engine.explain(error).message.split('\n')[0],
      fix: 'sudo bash sandbox/setup.sh (installs docker.io and starts dockerd), or set DOCKER_HOST',
    };
  }
}

async function checkImages(): Promise<DoctorCheck[]> {
  return Promise.all(
    imageProfiles().map(async (profile) => {
      const image = imageForProfile(profile);
      const present = await Engine.at().hasImage(image);
      return {
        name: `image ${profile}`,
        ok: present,
        detail: present ? image : `${image} is missing`,
        fix: present ? undefined : `rollout images build ${profile}`,
        buildProfiles: present ? undefined : [profile],
      };
    }),
  );
}

/** Either route can build the profile images: mmdebstrap offline, or docker build on a base a registry gives. */
async function checkImageBuilder(): Promise<DoctorCheck> {
  const mmdebstrap = mmdebstrapVersion();
  if (mmdebstrap) return { name: 'image builder', ok: true, detail: `${mmdebstrap} (offline route)` };
  const base = defaultBaseImage(loadRecipe(imageProfiles()[0]));
  const engine = Engine.at();
  if ((await engine.hasImage(base)) || (await engine.registryHas(base)))
    return { name: 'image builder', ok: true, detail: `docker build on ${base}` };
  return {
    name: 'image builder',
    ok: false,
    detail: `no registry gives ${base} and mmdebstrap is not installed: images cannot be built`,
    fix: 'sudo apt-get install mmdebstrap, or give the engine a registry (ROLLOUT_BASE_IMAGE names a mirror)',
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
