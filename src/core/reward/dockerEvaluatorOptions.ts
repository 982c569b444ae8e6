/** Evaluator options backed by the real Docker sandbox and the offline-built profile images. */

import { DockerSandbox } from '../sandbox/dockerSandbox';
import { imageForProfile } from '../sandbox/images';
import { loadEnvironmentSpecs } from '../task/environment';
import type { EvaluatorOptions } from './evaluator';
import type { HarnessVersion } from './harnessVersion';

export interface DockerEvaluationSettings {
  /** Folder of local clones named `owner__name` (`--repos`). */
  reposDir?: string;
  /** Per-repo environment spec file (`--specs`). */
  specsFile?: string;
  testTimeoutMs?: number;
  harnessVersion?: HarnessVersion;
  runId: string;
}

export async function dockerEvaluatorOptions(settings: DockerEvaluationSettings): Promise<EvaluatorOptions> {
  return {
    createSandbox: (spec) => DockerSandbox.create(spec),
    imageForProfile,
    repos: { reposDir: settings.reposDir },
    specs: settings.specsFile ? await loadEnvironmentSpecs(settings.specsFile) : undefined,
    testTimeoutMs: settings.testTimeoutMs,
    harnessVersion: settings.harnessVersion,
    runId: settings.runId,
  };
}
