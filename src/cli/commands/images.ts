import { Engine } from '../../core/sandbox/engine';
import {
  BUILD_ROUTES,
  ensureProfileImage,
  imageForProfile,
  imageProfiles,
  loadRecipe,
  type BuildRoute,
} from '../../core/sandbox/images';
import { parseCommandLine, usageProblem } from '../grammar';
import type { CliCommand } from './index';

const USAGE = `usage: rollout images list [--docker-host ADDR]
       rollout images build [PROFILE…] [--route auto|docker-build|mmdebstrap] [--base-image REF] [--docker-host ADDR]

The sandbox images of the profiles (recipes in sandbox/images/*.json), each tagged by the hash of its recipe.
build routes: docker-build runs sandbox/images/Dockerfile on a slim Debian base from a registry
(--base-image, ROLLOUT_BASE_IMAGE, default debian:<suite>-slim); mmdebstrap builds the same recipe offline
from Debian packages; auto (the default) takes docker-build when a registry gives the base, else mmdebstrap.`;

export const imagesCommand: CliCommand = {
  summary: 'list or build the sandbox images (docker build on a registry base, or offline with mmdebstrap)',
  async run(args) {
    const parsed = parseCommandLine(
      {
        command: 'images',
        usage: USAGE,
        positionals: true,
        options: {
          route: { type: 'string', default: 'auto' },
          'base-image': { type: 'string' },
          'docker-host': { type: 'string' },
        },
      },
      args,
    );
    if (typeof parsed === 'number') return parsed;
    const { values, positionals } = parsed;
    const [action, ...profiles] = positionals;
    const engine = Engine.at(values['docker-host']);
    if (action === 'list') {
      for (const profile of imageProfiles()) {
        const image = imageForProfile(profile);
        console.log(
          `${profile.padEnd(8)} ${image.padEnd(36)} ${(await engine.hasImage(image)) ? 'present' : 'missing'}  ${loadRecipe(profile).description}`,
        );
      }
      return 0;
    }
    if (action === 'build') {
      if (!(BUILD_ROUTES as readonly string[]).includes(values.route))
        return usageProblem(
          'images',
          USAGE,
          `--route must be one of ${BUILD_ROUTES.join(', ')}, got '${values.route}'`,
        );
      for (const profile of profiles.length ? profiles : imageProfiles()) {
        const started = Date.now();
        const { image, built, route } = await ensureProfileImage(profile, {
          route: values.route as BuildRoute,
          baseImage: values['base-image'],
          dockerHost: values['docker-host'],
          log: (line) => console.log(line),
        });
        console.log(
          `${image}: ${built ? `built with ${route} in ${((Date.now() - started) / 1000).toFixed(1)} s` : 'up to date'}`,
        );
      }
      return 0;
    }
    return usageProblem('images', USAGE, action ? `unknown action '${action}'` : 'list or build?');
  },
};
