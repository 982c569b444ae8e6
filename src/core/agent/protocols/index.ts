/** Which protocol runs a task: decided here, and only here, by the task's kind. */
import type { Task } from '../../task/task';
import type { RunMetadata } from '../../trajectory/types';
import type { ModelSettings } from '../policies/modelSettings';
import { takesOnlyDefaultSampling } from '../policies/modelTable';
import type { Policy } from '../policies/policy';
import { createPolicy, parsePolicySpec, type PolicySpec } from '../policies/policySpec';
import { CabProtocol } from './cab/cabProtocol';
import type { PolicyFactory, ProtocolSpec, RolloutProtocol } from './protocol';
import { SweProtocol } from './swe';

/**
 * The protocol for a task. Every task kind is named: a kind this code does not know is an error, never a
 * fallback to another protocol (a conversation task graded by empty test lists would score any patch 1).
 */
export function protocolFor(task: Task, spec: ProtocolSpec): RolloutProtocol {
  const kind = task.kind;
  switch (kind) {
    case 'swe-bench':
    case 'folder':
      return new SweProtocol(spec.reward, spec.feedback);
    case 'cab':
      if (!spec.cab)
        throw new Error(
          `task ${task.id} is a CodeAssistBench task: it needs the simulated user's and the judge's models (--user-policy and --judge-policy)`,
        );
      if (spec.feedback?.rounds)
        throw new Error(`task ${task.id} is a CodeAssistBench task: it has no tests to give feedback rounds from`);
      return new CabProtocol(spec.cab);
    default: {
      const unknown: never = kind;
      throw new Error(`task ${task.id}: no protocol runs tasks of kind '${String(unknown)}'`);
    }
  }
}

/** The settings a run recorded (`run.extra.protocol`), for a resume to continue with the same ones. */
export function recordedProtocolSpec(run: RunMetadata): ProtocolSpec | undefined {
  const recorded = run.extra?.protocol as { spec?: ProtocolSpec } | undefined;
  return recorded && typeof recorded === 'object' && recorded.spec ? recorded.spec : undefined;
}

/**
 * The settings of the protocols' own models (simulated user, judge, feedback): temperature 0, as
 * CodeAssistBench runs them, except for a model that takes only its default temperature (the model table
 * says which), which would refuse every request at 0.
 */
export function protocolModelSettings(spec: PolicySpec): ModelSettings {
  if (spec.backend !== 'recorded' && takesOnlyDefaultSampling(spec.model)) return {};
  return { temperature: 0 };
}

/** A protocol model by spec, with the protocols' settings. */
export function protocolPolicy(spec: string): Promise<Policy> {
  const parsed = parsePolicySpec(spec);
  return createPolicy(parsed, { settings: protocolModelSettings(parsed) });
}

/** Makes every model client the settings name once, so a bad spec or a missing key stops a run before it starts. */
export async function checkProtocolPolicies(
  spec: ProtocolSpec,
  factory: PolicyFactory = protocolPolicy,
): Promise<void> {
  const named: [string, string | undefined][] = [
    ['--user-policy', spec.cab?.userPolicySpec],
    ['--judge-policy', spec.cab?.judgePolicySpec],
    ['--feedback-policy', spec.feedback?.source === 'model' ? spec.feedback.policySpec : undefined],
  ];
  if (spec.feedback?.source === 'model' && !spec.feedback.policySpec)
    throw new Error('feedback source `model` needs a feedback model (--feedback-policy SPEC)');
  for (const [option, policySpec] of named) {
    if (policySpec === undefined) continue;
    await factory(policySpec).catch((error: unknown) => {
      throw new Error(`${option} ${policySpec}: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
}
