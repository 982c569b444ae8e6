/**
 * The harness's advisory labels for evaluations that likely failed in the environment rather than in the
 * patch (5.0): signatures searched in the logs, first match wins. `environment` signatures cannot come from
 * a patch; `ambiguous` ones can. Labels never change the harness's report or its denominator; our evaluator
 * checks an `environment` label on a log with no result against the tests run without the patch (evaluator.ts).
 */

import { universalNewlines } from './logParsers/text';

export type InfraFailureTier = 'environment' | 'ambiguous';

const SIGNATURES: [reason: string, tier: InfraFailureTier, pattern: RegExp][] = [
  ['browser_launch_failed', 'environment', /Failed to launch|Failed to connect to the bus/],
  ['display_unavailable', 'environment', /cannot open display|Missing X server|unable to open X display/],
  ['out_of_memory', 'environment', /Cannot allocate memory|OutOfMemoryError|(?<![^\n])Killed(?![^\n])/],
  ['container_unavailable', 'environment', /Error response from daemon|Cannot connect to the Docker daemon/],
  ['network_unreachable', 'environment', /Could not resolve host|Temporary failure in name resolution/],
  ['missing_module', 'ambiguous', /Cannot find module|MODULE_NOT_FOUND|ModuleNotFoundError/],
  ['no_tests_collected', 'ambiguous', /no tests ran|collected 0 items/],
  ['tests_timed_out', 'ambiguous', /Timeout error: \d+ seconds exceeded/],
];

export interface InfraFailureLabel {
  reason: string;
  tier: InfraFailureTier;
}

/**
 * The first signature found in the logs (read as text, so CRLF and lone CR endings are LF, then joined by newlines,
 * as the harness reads and joins them), or undefined.
 */
export function classifyInfraFailure(...logs: string[]): InfraFailureLabel | undefined {
  const text = logs.map(universalNewlines).join('\n');
  if (!text) return undefined;
  const found = SIGNATURES.find(([, , pattern]) => pattern.test(text));
  return found && { reason: found[0], tier: found[1] };
}
