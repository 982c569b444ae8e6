/** What Run Again runs and what it asks first. Pure: no vscode, so that the question is tested. */
import { DEFAULT_AGENT_CONFIG, limitPhrases, type AgentConfig } from '../../core/agent/config';
import { recordedAgentConfig } from '../../core/agent/rollout';
import type { RunMetadata } from '../../core/trajectory/types';

export interface RunAgainPlan {
  /** The policy the rerun runs: the run's own where it can be run again, else the model settings'. */
  policySpec: string;
  /** That policy in words, saying whose it is when it is not the model settings'. */
  model: string;
  /** The limits the rerun is given over the settings' budget: every limit the run recorded. */
  limits: Partial<AgentConfig>;
  /** The run's limits in words, or what applies when the run recorded none. */
  reused: string;
  /** Asked before running when the settings differ from what the run recorded; none runs at once. */
  question?: string;
}

/**
 * Run Again reruns the task with the limits the run was given (`run.extra.agent_config`) and the model the run
 * used (its recorded policy: endpoint and model name) unless `runPolicyBlockedBy` says why that one cannot run
 * here (no key stored for its endpoint, a policy no spec starts); then it takes the policy the model settings give
 * now. It asks first when the policy it takes is not the recorded one, or when the settings' budget differs from
 * the recorded limits, naming both; a run recorded before limits were recorded runs with the settings'.
 */
export function runAgainPlan(
  run: RunMetadata,
  policyNow: string,
  configuredNow: Partial<AgentConfig>,
  runPolicyBlockedBy: string | undefined,
): RunAgainPlan {
  const limits = recordedAgentConfig(run);
  const recordedAny = Object.keys(limits).length > 0;
  const reused = recordedAny
    ? `the limits run ${run.run_id} was given (${limitPhrases(limits).join(', ')})`
    : `the settings' limits (${limitPhrases({ ...DEFAULT_AGENT_CONFIG, ...configuredNow }).join(', ')}; run ${run.run_id} recorded none)`;
  const changedKeys = (Object.keys(configuredNow) as (keyof AgentConfig)[]).filter(
    (key) => limits[key] !== undefined && limits[key] !== configuredNow[key],
  );
  const policySpec = runPolicyBlockedBy === undefined ? run.policy : policyNow;
  const model =
    policySpec === policyNow
      ? policySpec
      : `${policySpec} (the model run ${run.run_id} used; the settings give ${policyNow})`;
  const plan = { policySpec, model, limits, reused };
  const policyChanged = policySpec !== run.policy;
  if (!policyChanged && changedKeys.length === 0) return plan;
  const changedPolicy = policyChanged
    ? `Run ${run.run_id} was recorded with ${run.policy}, which cannot run again here (${runPolicyBlockedBy}); the model settings now give ${policyNow}. `
    : '';
  const changedLimits = changedKeys.length
    ? ` The settings now give ${limitPhrases(pick(configuredNow, changedKeys)).join(', ')}; the run had ${limitPhrases(pick(limits, changedKeys)).join(', ')}.`
    : '';
  return { ...plan, question: `${changedPolicy}Run ${run.task_id} again with ${model} and ${reused}?${changedLimits}` };
}

function pick(config: Partial<AgentConfig>, keys: (keyof AgentConfig)[]): Partial<AgentConfig> {
  return Object.fromEntries(keys.map((key) => [key, config[key]]));
}
