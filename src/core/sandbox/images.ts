import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths';
import { Engine, ImageNotFoundError } from './engine';
import { InfrastructureError } from './sandbox';

/** An image recipe from `sandbox/images/<profile>.json`: Debian packages on a Debian suite. */
export interface ImageRecipe {
  profile: string;
  description: string;
  suite: string;
  packages: string[];
  env: Record<string, string>;
}

/**
 * How a profile image is made: `docker build` of `sandbox/images/Dockerfile` on a slim Debian base pulled from a
 * registry (Docker Desktop on macOS and Windows), or a root filesystem made with mmdebstrap from Debian packages
 * and imported (air-gapped Linux machines). `auto` takes the first when the base image can be had.
 */
export const BUILD_ROUTES = ['auto', 'docker-build', 'mmdebstrap'] as const;
export type BuildRoute = (typeof BUILD_ROUTES)[number];

export interface ProfileBuildOptions {
  route?: BuildRoute;
  /** The slim Debian base of the docker-build route; default `debian:<suite>-slim`, `ROLLOUT_BASE_IMAGE` overrides it. */
  baseImage?: string;
  /** The engine to build on (DOCKER_HOST style); DOCKER_HOST or the local socket when absent. */
  dockerHost?: string;
  log?: (line: string) => void;
}

const IMAGE_REPOSITORY = 'rollout-studio';
const ROUTE_LABEL = 'rollout-studio.build-route';

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

/** The image configuration both routes give the image, as Dockerfile instructions. */
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

/** The tag changes whenever the recipe, its image configuration or either route's build script changes, so an unchanged recipe is never rebuilt. */
export function recipeHash(recipe: ImageRecipe): string {
  return createHash('sha256')
    .update(JSON.stringify(recipe))
    .update(JSON.stringify(imageConfig(recipe)))
    .update(readFileSync(join(recipesDir(), 'build-rootfs.sh')))
    .update(readFileSync(join(recipesDir(), 'Dockerfile')))
    .digest('hex')
    .slice(0, 12);
}

export function imageForProfile(profile: string): string {
  const recipe = loadRecipe(profile);
  return `${IMAGE_REPOSITORY}/${profile}:${recipeHash(recipe)}`;
}

export function defaultBaseImage(recipe: ImageRecipe): string {
  return process.env.ROLLOUT_BASE_IMAGE || `debian:${recipe.suite}-slim`;
}

/** Builds the profile's image unless an image with the recipe's hash is already there; says which route built it. */
export async function ensureProfileImage(
  profile: string,
  options: ProfileBuildOptions = {},
): Promise<{ image: string; built: boolean; route?: Exclude<BuildRoute, 'auto'> }> {
  const image = imageForProfile(profile);
  if (await Engine.at(options.dockerHost).hasImage(image)) return { image, built: false };
  return { image, built: true, route: await buildProfileImage(loadRecipe(profile), image, options) };
}

/** Builds `recipe` as `image` by the route the options ask for (auto: docker build when the base can be had). */
export async function buildProfileImage(
  recipe: ImageRecipe,
  image: string,
  options: ProfileBuildOptions = {},
): Promise<Exclude<BuildRoute, 'auto'>> {
  const engine = Engine.at(options.dockerHost);
  const log = options.log ?? (() => undefined);
  const baseImage = options.baseImage ?? defaultBaseImage(recipe);
  const route = await profileBuildRoute(engine, options.route ?? 'auto', baseImage, log);
  if (route === 'docker-build') {
    log(`building ${image} with docker build on ${baseImage}: ${recipe.packages.join(' ')}`);
    await dockerBuild(engine, recipe, image, baseImage, log);
  } else {
    log(`building ${image} from Debian ${recipe.suite} with mmdebstrap: ${recipe.packages.join(' ')}`);
    await importRootfs(engine, recipe, image);
  }
  return route;
}

/** `auto`: docker build when the base image is on the engine or a registry gives it, else mmdebstrap when installed. */
export async function profileBuildRoute(
  engine: Engine,
  route: BuildRoute,
  baseImage: string,
  log: (line: string) => void,
): Promise<Exclude<BuildRoute, 'auto'>> {
  if (route !== 'auto') return route;
  try {
    await engine.ensureImage(baseImage, { onProgress: log });
    return 'docker-build';
  } catch (error) {
    if (!(error instanceof ImageNotFoundError)) throw error;
    if (mmdebstrapVersion()) {
      log(`no registry gave ${baseImage}: building offline with mmdebstrap`);
      return 'mmdebstrap';
    }
    throw new InfrastructureError(
      `cannot build the sandbox images: no registry gave the base image ${baseImage}, and mmdebstrap is not installed`,
      'connect the engine to a registry (or set ROLLOUT_BASE_IMAGE to a mirror), or install mmdebstrap (sudo apt-get install mmdebstrap)',
    );
  }
}

export function mmdebstrapVersion(): string | undefined {
  const found = spawnSync('mmdebstrap', ['--version'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

async function dockerBuild(
  engine: Engine,
  recipe: ImageRecipe,
  image: string,
  baseImage: string,
  log: (line: string) => void,
): Promise<void> {
  const dockerfile = [
    readFileSync(join(recipesDir(), 'Dockerfile'), 'utf8').trimEnd(),
    ...imageConfig(recipe),
    `LABEL ${ROUTE_LABEL}=docker-build`,
  ].join('\n');
  await engine.buildImage(image, [{ name: 'Dockerfile', content: `${dockerfile}\n` }], {
    network: true,
    buildArgs: { BASE_IMAGE: baseImage, PACKAGES: recipe.packages.join(' ') },
    onProgress: log,
  });
}

async function importRootfs(engine: Engine, recipe: ImageRecipe, image: string): Promise<void> {
  const builder = spawn('bash', [join(recipesDir(), 'build-rootfs.sh'), recipe.suite, recipe.packages.join(',')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  builder.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const builderExit = new Promise<number>((resolve, reject) => {
    builder.on('error', reject);
    builder.on('close', (code) => resolve(code ?? 1));
  });
  // mmdebstrap writes nothing until every package is installed, which can take minutes, and the engine drops
  // an import whose request has not begun by then: the import starts with the first byte of the root filesystem.
  await new Promise((resolve) => builder.stdout.once('readable', resolve));
  let importError: unknown;
  let stopped = false;
  const imported = engine
    .importImage(builder.stdout, image, [...imageConfig(recipe), `LABEL ${ROUTE_LABEL}=mmdebstrap`])
    .catch((error: unknown) => {
      // Nothing reads the root filesystem any more: drain it and stop the builder, or it would wait forever.
      importError = error;
      stopped = true;
      builder.stdout.resume();
      builder.kill('SIGTERM');
    });
  const exitCode = await builderExit;
  await imported;
  if (exitCode !== 0 && !stopped) {
    const hint =
      /not found|command not found/.test(stderr) || exitCode === 127
        ? 'install it with `apt-get install mmdebstrap`'
        : 'check the Debian mirror in /etc/apt/sources.list*';
    throw new InfrastructureError(
      `mmdebstrap failed (exit ${exitCode}) building ${image}:\n${stderr.trim().slice(-2000)}`,
      hint,
    );
  }
  if (importError) throw importError;
}
