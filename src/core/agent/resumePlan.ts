/**
 * What continuing a recorded run takes, for `rollout run --resume` and the Runs view's Resume Run alike: the run, and
 * the policy, model settings, protocol settings and limits it recorded, each replaced by one given now.
 */

import { dirname } from 'node:path';
import { isResumable } from '../trajectory/recorder';
import { formatProblem, readTrajectoryLog } from '../trajectory/reader';
import type { RunMetadata } from '../trajectory/types';
import type { AgentConfig } from './config';
import type { ModelSettings } from './policies/modelSettings';
import { recordedProtocolSpec } from './protocols/index';
import type { ProtocolSpec } from './protocols/protocol';
import { recordedAgentConfig } from './rollout';

export interface ResumeOverrides {
  policySpec?: string;
  settings?: ModelSettings;
  protocol?: Partial<ProtocolSpec>;
  config?: Partial<AgentConfig>;
}

export interface ResumePlan {
  run: RunMetadata;
  /** The output folder the run's folder is in, where it goes on being recorded. */
  outDir: string;
  policySpec: string;
  settings: ModelSettings;
  protocol: ProtocolSpec;
  config: Partial<AgentConfig>;
}

/** The plan for the run logged at `logPath`; throws, naming the file, when there is no run or it cannot go on. */
export async function planResume(logPath: string, given: ResumeOverrides = {}): Promise<ResumePlan> {
  const { trajectory, problems } = await readTrajectoryLog(logPath);
  if (!trajectory) {
    const why = problems.map(formatProblem).join('; ') || 'it has no run_started line';
    throw new Error(`${logPath} holds no run to resume: ${why}`);
  }
  const { run } = trajectory;
  if (!isResumable(trajectory))
    throw new Error(
      `run ${run.run_id} finished (${trajectory.result?.exit_status}): only a cancelled or unfinished run goes on; ` +
        'run its task again instead',
    );
  const recordedSettings = (run.extra?.model_setup as { settings?: ModelSettings } | undefined)?.settings;
  return {
    run,
    outDir: dirname(dirname(logPath)),
    policySpec: given.policySpec ?? run.policy,
    settings: { ...recordedSettings, ...given.settings },
    protocol: { reward: 'binary', ...recordedProtocolSpec(run), ...given.protocol },
    config: { ...recordedAgentConfig(run), ...given.config },
  };
}
