/**
 * SWE-bench Pro's results: each instance's own parser (run in the container after its run script) writes
 * `{"tests": [{"name", "status"}]}`, which the test command prints between two marker lines. A name listed more
 * than once is PASSED when any of its entries is, as the harness gathers the passed names into a set; the other
 * statuses are kept as written.
 */

import { LogParseError, type StatusMap } from '../testStatus';

export const SWE_BENCH_PRO_RESULTS_MARKERS = {
  start: '<<ROLLOUT_SWE_BENCH_PRO_RESULTS',
  end: 'ROLLOUT_SWE_BENCH_PRO_RESULTS>>',
};

function resultsText(log: string): string {
  const lines = log.split('\n');
  const start = lines.lastIndexOf(SWE_BENCH_PRO_RESULTS_MARKERS.start);
  const end = lines.lastIndexOf(SWE_BENCH_PRO_RESULTS_MARKERS.end);
  if (start < 0 || end < start) throw new LogParseError("the log holds no results of the instance's parser");
  return lines.slice(start + 1, end).join('\n');
}

function results(log: string): { name: unknown; status: unknown }[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(resultsText(log));
  } catch (error) {
    if (error instanceof LogParseError) throw error;
    throw new LogParseError("the instance's parser wrote no readable output.json");
  }
  const tests = (parsed as { tests?: unknown } | null)?.tests;
  if (!Array.isArray(tests)) throw new LogParseError('the instance\'s parser wrote no "tests" list');
  return tests as { name: unknown; status: unknown }[];
}

export function parseSweBenchPro(log: string): StatusMap {
  const statuses: StatusMap = new Map();
  for (const { name, status } of results(log)) {
    if (typeof name !== 'string' || typeof status !== 'string')
      throw new LogParseError("a test in the instance's parser's output has no string name and status");
    if (statuses.get(name) !== 'PASSED') statuses.set(name, status);
  }
  return statuses;
}
