import * as vscode from 'vscode';
import { ensureProfileImage, imageProfiles, type BuildRoute } from '../../core/sandbox/images';
import { withProgress } from '../progress';
import { applyDockerHost } from '../settings';
import type { CommandContext } from './context';

export interface BuiltImage {
  profile: string;
  image: string;
  built: boolean;
  route?: Exclude<BuildRoute, 'auto'>;
}

/**
 * Rollout Studio: Build Sandbox Images — builds the profile images the engine lacks, from the recipes the
 * extension ships: `docker build` where a registry gives the Debian base (Docker Desktop), else mmdebstrap.
 * The doctor's fix button passes the profiles it found missing. Cancel stops before the next image.
 */
export async function buildImages(context: CommandContext, profiles?: unknown): Promise<BuiltImage[]> {
  applyDockerHost(context.settings());
  const wanted = Array.isArray(profiles) && profiles.length > 0 ? (profiles as string[]) : imageProfiles();
  // The build's output goes to the Rollout Studio output channel, shown without taking the focus.
  context.log.show(true);
  const results = await withProgress('building sandbox images', { cancellable: true }, async (progress) => {
    const done: BuiltImage[] = [];
    for (const profile of wanted) {
      // Cancel takes effect between images: an image half built would be left behind by the engine.
      if (progress.signal.aborted) throw progress.signal.reason;
      progress.report(profile, 100 / wanted.length);
      const result = await ensureProfileImage(profile, {
        log: (line) => {
          context.log.info(line);
          progress.report(`${profile}: ${line.slice(0, 120)}`);
        },
      });
      context.log.info(`${result.image}: ${result.built ? `built with ${result.route}` : 'up to date'}`);
      done.push({ profile, ...result });
    }
    return done;
  });
  // The walkthrough's "build images" step completes on this key (Run Doctor sets it too).
  if (imageProfiles().every((profile) => wanted.includes(profile)))
    await vscode.commands.executeCommand('setContext', 'rolloutStudio.imagesReady', true);
  const built = results.filter((result) => result.built).map((result) => result.profile);
  void vscode.window.showInformationMessage(
    built.length
      ? `Rollout Studio: built the ${built.join(', ')} image${built.length > 1 ? 's' : ''}.`
      : 'Rollout Studio: every sandbox image is up to date.',
  );
  return results;
}
