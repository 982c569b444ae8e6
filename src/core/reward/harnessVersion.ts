/**
 * The SWE-bench harness releases whose grading Rollout Studio reproduces. 5 is the current release (5.0.2,
 * and the rules its main branch has since); 4 is 4.1.0, what published leaderboards used until 5.0.
 */

export const HARNESS_VERSIONS = [4, 5] as const;
export type HarnessVersion = (typeof HARNESS_VERSIONS)[number];
export const CURRENT_HARNESS_VERSION: HarnessVersion = 5;

/** The release each rule set matches, for reports and `--help`. */
export const HARNESS_RELEASES: Record<HarnessVersion, string> = {
  4: 'swebench 4.1.0',
  5: 'swebench 5.0.2',
};

export function parseHarnessVersion(value: string, where = '--harness-version'): HarnessVersion {
  const major = Number(/^(\d+)(?:\.\d+)*(?:\.x)?$/.exec(value.trim())?.[1]);
  if (!(HARNESS_VERSIONS as readonly number[]).includes(major))
    throw new Error(
      `${where}: '${value}' is not a harness version Rollout Studio grades as (${HARNESS_VERSIONS.join(' or ')})`,
    );
  return major as HarnessVersion;
}
