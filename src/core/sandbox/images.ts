import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths';
import { dockerClient, explainEngineError } from './engine';
import { InfrastructureError } from './sandbox';

/** An image recipe from `sandbox/images/<profile>.json`: Debian packages on a Debian suite. */
export interface ImageRecipe {
  profile: string;
  description: string;
  suite: string;
  packages: string[];
  env: Record<string, string>;
}

const IMAGE_REPOSITORY = 'rollout-studio';

function recipesDir(): string {
  return join(packageRoot(), 'sandbox', 'images');
}

export function imageProfiles(): string[] {
  return readdirSync(recipesDir())
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .sort();
}

export function loadRecipe(profile: string): ImageRecipe {
  const file = join(recipesDir(), `${profile}.json`);
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    throw new Error(
      `unknown image profile '${profile}': no recipe at ${file} (profiles: ${imageProfiles().join(', ')})`,
    );
  }
  const recipe = JSON.parse(raw) as Omit<ImageRecipe, 'profile'>;
  for (const field of ['description', 'suite', 'packages', 'env'] as const) {
    if (recipe[field] === undefined) throw new Error(`${file}: missing field '${field}'`);
  }
  return { profile, ...recipe };
}

/** The image configuration `docker import` applies on top of the root filesystem, as Dockerfile instructions. */
function imageConfig(recipe: ImageRecipe): string[] {
  return [
    'USER agent',
    'WORKDIR /work',
    'ENV HOME=/home/agent',
    'ENV LANG=C.UTF-8',
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ...Object.entries(recipe.env).map(([key, value]) => `ENV ${key}=${value}`),
    `LABEL rollout-studio.profile=${recipe.profile}`,
  ];
}

/** The tag changes whenever the recipe, its image configuration or the build script changes, so an unchanged recipe is never rebuilt. */
export function recipeHash(recipe: ImageRecipe): string {
  const script = readFileSync(join(recipesDir(), 'build-rootfs.sh'));
  return createHash('sha256')
    .update(JSON.stringify(recipe))
    .update(JSON.stringify(imageConfig(recipe)))
    .update(script)
    .digest('hex')
    .slice(0, 12);
}

export function imageForProfile(profile: string): string {
  const recipe = loadRecipe(profile);
  return `${IMAGE_REPOSITORY}/${profile}:${recipeHash(recipe)}`;
}

export async function imageExists(image: string): Promise<boolean> {
  try {
    await dockerClient().getImage(image).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw explainEngineError(error);
  }
}

/** Builds the profile's image from Debian packages unless an image with the recipe's hash is already there. */
export async function ensureProfileImage(
  profile: string,
  log: (line: string) => void = () => {},
): Promise<{ image: string; built: boolean }> {
  const recipe = loadRecipe(profile);
  const image = imageForProfile(profile);
  if (await imageExists(image)) return { image, built: false };
  log(`building ${image} from Debian ${recipe.suite}: ${recipe.packages.join(' ')}`);
  await importRootfs(recipe, image);
  return { image, built: true };
}

async function importRootfs(recipe: ImageRecipe, image: string): Promise<void> {
  const builder = spawn('bash', [join(recipesDir(), 'build-rootfs.sh'), recipe.suite, recipe.packages.join(',')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  builder.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const builderExit = new Promise<number>((resolve, reject) => {
    builder.on('error', reject);
    builder.on('close', (code) => resolve(code ?? 1));
  });
  const [repo, tag] = image.split(':');
  const changes = imageConfig(recipe);
  const docker = dockerClient();
  let importError: unknown;
  try {
    const progress = await docker.importImage(builder.stdout, { repo, tag, changes });
    await new Promise((resolve, reject) =>
      docker.modem.followProgress(progress, (error) => (error ? reject(error) : resolve(undefined))),
    );
  } catch (error) {
    importError = error;
  }
  const exitCode = await builderExit;
  if (exitCode !== 0) {
    const hint =
      /not found|command not found/.test(stderr) || exitCode === 127
        ? 'install it with `apt-get install mmdebstrap`'
        : 'check the Debian mirror in /etc/apt/sources.list*';
    throw new InfrastructureError(
      `mmdebstrap failed (exit ${exitCode}) building ${image}:\n${stderr.trim().slice(-2000)}`,
      hint,
    );
  }
  if (importError) throw explainEngineError(importError);
}
