/** Evaluator options backed by the real Docker sandbox: profile images, instance images, one engine. */

import { DockerSandbox } from '../sandbox/dockerSandbox';
import { imageForProfile } from '../sandbox/images';
import { loadEnvironmentSpecs } from '../task/environment';
import type { InstanceImageOptions } from '../task/instanceImages';
import type { EvaluatorOptions } from './evaluator';
import type { HarnessVersion } from './harnessVersion';

export interface DockerEvaluationSettings {
  /** Folder of local clones named `owner__name` (`--repos`). */
  reposDir?: string;
  /** Per-repo environment spec file (`--specs`). */
  specsFile?: string;
  /** How instance images are named for rows that name none (`--image-template`, `--namespace`). */
  instanceImages?: InstanceImageOptions;
  /** The engine that pulls or builds the images and runs the sandboxes (`--docker-host`). */
  dockerHost?: string;
  /** Pull and build progress of missing images. */
  onProgress?: (line: string) => void;
  testTimeoutMs?: number;
  harnessVersion?: HarnessVersion;
  runId: string;
}

export async function dockerEvaluatorOptions(settings: DockerEvaluationSettings): Promise<EvaluatorOptions> {
  const { dockerHost, onProgress } = settings;
  return {
    createSandbox: (spec) => DockerSandbox.create({ dockerHost, onProgress, ...spec }),
    imageForProfile,
    repos: { reposDir: settings.reposDir },
    specs: settings.specsFile ? await loadEnvironmentSpecs(settings.specsFile) : undefined,
    instanceImages: settings.instanceImages,
    testTimeoutMs: settings.testTimeoutMs,
    harnessVersion: settings.harnessVersion,
    runId: settings.runId,
  };
}
