import { parseArgs } from 'node:util';
import { ensureProfileImage, imageExists, imageForProfile, imageProfiles, loadRecipe } from '../../core/sandbox/images';
import type { CliCommand } from './index';

const USAGE = 'usage: rollout images list | rollout images build [PROFILE…]   (profiles: sandbox/images/*.json)';

export const imagesCommand: CliCommand = {
  summary: 'list or build the sandbox images (offline, from Debian packages)',
  async run(args) {
    const { positionals } = parseArgs({ args, allowPositionals: true });
    const [action, ...profiles] = positionals;
    if (action === 'list') {
      for (const profile of imageProfiles()) {
        const image = imageForProfile(profile);
        console.log(
          `${profile.padEnd(8)} ${image.padEnd(36)} ${(await imageExists(image)) ? 'present' : 'missing'}  ${loadRecipe(profile).description}`,
        );
      }
      return 0;
    }
    if (action === 'build') {
      for (const profile of profiles.length ? profiles : imageProfiles()) {
        const started = Date.now();
        const { image, built } = await ensureProfileImage(profile, (line) => console.log(line));
        console.log(`${image}: ${built ? `built in ${((Date.now() - started) / 1000).toFixed(1)} s` : 'up to date'}`);
      }
      return 0;
    }
    console.error(USAGE);
    return 2;
  },
};
