/**
 * The harness's run report (`<model>.<run_id>.json`, our `summary.json`), with its keys in its order for
 * each release, and Rollout Studio's own summary beside it (`rollout-summary.json`): what the harness folds
 * into "errors" told apart, and the figures it does not keep.
 */

import { resolvedOf, type EvaluationResult, type EvaluationStatus } from './evaluator';
import { HARNESS_RULES } from './harnessRules';
import type { HarnessVersion } from './harnessVersion';
import { classifyInfraFailure } from './infraFailure';

export interface HarnessRunSummary {
  total_instances: number;
  submitted_instances: number;
  completed_instances: number;
  resolved_instances: number;
  unresolved_instances: number;
  infra_failure_instances?: number;
  ambiguous_failure_instances?: number;
  empty_patch_instances: number;
  error_instances: number;
  completed_ids: string[];
  incomplete_ids: string[];
  empty_patch_ids: string[];
  submitted_ids: string[];
  resolved_ids: string[];
  unresolved_ids: string[];
  infra_failure_ids?: string[];
  ambiguous_failure_ids?: string[];
  failure_reasons?: Record<string, string>;
  error_ids: string[];
  schema_version: 2;
  unstopped_instances?: number;
  unstopped_containers?: string[];
  unremoved_images?: string[];
}

export interface RunSummaryInput {
  harnessVersion: HarnessVersion;
  /** The instance ids of the task set evaluated against (the harness's dataset). */
  datasetIds: string[];
  /** The instance ids of every prediction submitted. */
  submittedIds: string[];
  results: Pick<EvaluationResult, 'instanceId' | 'status' | 'testOutput' | 'log'>[];
}

const sorted = (ids: Iterable<string>): string[] => [...ids].sort();

export function harnessRunSummary(input: RunSummaryInput): HarnessRunSummary {
  const rules = HARNESS_RULES[input.harnessVersion];
  const byId = new Map(input.results.map((result) => [result.instanceId, result]));
  const ids = (statuses: EvaluationStatus[]) =>
    sorted(input.datasetIds.filter((id) => statuses.includes(byId.get(id)?.status as EvaluationStatus)));
  const resolved = ids(['resolved']);
  const unresolved = ids(['unresolved']);
  const completed = [...resolved, ...unresolved].sort();
  const emptyPatch = ids(['no-patch', 'empty-patch']);
  const errors = ids(['patch-failed', 'timed-out', 'error', 'infra-error']);
  const incomplete = sorted(input.datasetIds.filter((id) => !byId.has(id)));
  const summary: HarnessRunSummary = {
    total_instances: input.datasetIds.length,
    submitted_instances: input.submittedIds.length,
    completed_instances: completed.length,
    resolved_instances: resolved.length,
    unresolved_instances: unresolved.length,
    empty_patch_instances: emptyPatch.length,
    error_instances: errors.length,
    completed_ids: completed,
    incomplete_ids: incomplete,
    empty_patch_ids: emptyPatch,
    submitted_ids: sorted(input.submittedIds),
    resolved_ids: resolved,
    unresolved_ids: unresolved,
    error_ids: errors,
    schema_version: 2,
  };
  if (!rules.labelsInfraFailures) return summary;
  const reasons: Record<string, string> = {};
  const environment: string[] = [];
  const ambiguous: string[] = [];
  for (const id of sorted([...unresolved, ...errors])) {
    const result = byId.get(id);
    const label = result && classifyInfraFailure(result.testOutput, result.log);
    if (!label) continue;
    reasons[id] = label.reason;
    (label.tier === 'environment' ? environment : ambiguous).push(id);
  }
  // The harness's keys in its order: the labels sit between the counts and the lists as it writes them.
  return {
    total_instances: summary.total_instances,
    submitted_instances: summary.submitted_instances,
    completed_instances: summary.completed_instances,
    resolved_instances: summary.resolved_instances,
    unresolved_instances: summary.unresolved_instances,
    infra_failure_instances: environment.length,
    ambiguous_failure_instances: ambiguous.length,
    empty_patch_instances: summary.empty_patch_instances,
    error_instances: summary.error_instances,
    completed_ids: summary.completed_ids,
    incomplete_ids: summary.incomplete_ids,
    empty_patch_ids: summary.empty_patch_ids,
    submitted_ids: summary.submitted_ids,
    resolved_ids: summary.resolved_ids,
    unresolved_ids: summary.unresolved_ids,
    infra_failure_ids: environment,
    ambiguous_failure_ids: ambiguous,
    failure_reasons: reasons,
    error_ids: summary.error_ids,
    schema_version: 2,
    // Sandboxes are removed as each evaluation ends, so none is left running; images are kept on purpose.
    unstopped_instances: 0,
    unstopped_containers: [],
    unremoved_images: [],
  };
}

/** Rollout Studio's own run figures: each outcome by name, including those the harness counts as errors. */
export interface RolloutRunSummary {
  harness_version: HarnessVersion;
  counts: Record<EvaluationStatus, number>;
  ids: Partial<Record<EvaluationStatus, string[]>>;
  /**
   * Resolved predictions over those with an outcome (`resolvedOf`): a patch that did not apply, tests that timed
   * out and an empty patch count against it, as in the harness; an infrastructure error and a log the parser
   * failed on are no outcome at all, as for rewards (null when nothing has one).
   */
  resolved_rate: number | null;
  /** Results taken from an earlier run of the same task, environment and patch. */
  reused: number;
  duration_ms: number;
}

const STATUSES: EvaluationStatus[] = [
  'resolved',
  'unresolved',
  'no-patch',
  'empty-patch',
  'patch-failed',
  'timed-out',
  'error',
  'infra-error',
];

export function rolloutRunSummary(
  harnessVersion: HarnessVersion,
  results: Pick<EvaluationResult, 'instanceId' | 'status' | 'durationMs'>[],
  reused: number,
): RolloutRunSummary {
  const counts = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<EvaluationStatus, number>;
  const ids: Partial<Record<EvaluationStatus, string[]>> = {};
  for (const result of results) {
    counts[result.status] += 1;
    (ids[result.status] ??= []).push(result.instanceId);
  }
  const graded = results.filter((result) => resolvedOf(result) !== null).length;
  return {
    harness_version: harnessVersion,
    counts,
    ids: Object.fromEntries(Object.entries(ids).map(([status, list]) => [status, sorted(list)])),
    resolved_rate: graded > 0 ? counts.resolved / graded : null,
    reused,
    duration_ms: Math.round(results.reduce((sum, result) => sum + result.durationMs, 0)),
  };
}

/** One line over a run: the harness's counts, and ours where the harness folds them into errors. */
export function describeRun(summary: HarnessRunSummary, ours: RolloutRunSummary): string {
  const { counts } = ours;
  const errors = [
    ['patch did not apply', counts['patch-failed']],
    ['timed out', counts['timed-out']],
    ['log not gradable', counts.error],
    ['infrastructure, not scored', counts['infra-error']],
  ]
    .filter(([, count]) => count)
    .map(([what, count]) => `${count} ${what}`);
  return `${summary.resolved_instances}/${summary.submitted_instances} resolved, ${summary.unresolved_instances} unresolved, ${summary.empty_patch_instances} empty patch(es), ${summary.error_instances} error(s)${errors.length ? ` (${errors.join(', ')})` : ''}`;
}
