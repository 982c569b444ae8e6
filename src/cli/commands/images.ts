import { ensureProfileImage, imageExists, imageForProfile, imageProfiles, loadRecipe } from '../../core/sandbox/images';
import { parseCommandLine, usageProblem } from '../grammar';
import type { CliCommand } from './index';

const USAGE = `usage: rollout images list
       rollout images build [PROFILE…]

The sandbox images, one per profile (sandbox/images/PROFILE.json: python, node, go), each built from Debian
packages fetched from the host's configured Debian mirror (no image registry is used) and tagged by the hash
of its recipe, so an unchanged recipe is never rebuilt. \`build\` with no profile builds every one.`;

export const imagesCommand: CliCommand = {
  summary: 'list or build the sandbox images (from Debian packages, no image registry)',
  async run(args) {
    const parsed = parseCommandLine({ command: 'images', usage: USAGE, options: {}, positionals: true }, args);
    if (typeof parsed === 'number') return parsed;
    const [action, ...profiles] = parsed.positionals;
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
    return usageProblem('images', USAGE, action ? `unknown action '${action}'` : 'list or build?');
  },
};
