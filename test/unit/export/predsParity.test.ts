import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportDataset } from '../../../src/core/export/exporter';
import { recordRun } from './fixtures';

/**
 * The swebench-preds export read by the harnesses' own code, run on it in a scratch folder
 * (test/fixtures/predictions/SOURCE.md): SWE-bench Pro's `main()` and SWE-bench's `get_predictions_from_file`.
 */
const FIXTURE = join(process.cwd(), 'test', 'fixtures', 'predictions');

/** Patches that JSON writers and readers disagree on, if any do: non-ASCII, CRLF, line separators, none. */
const PATCHES: Record<string, string> = {
  'instance_example__case-01':
    'diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-a - b\n+a + b\n',
  'instance_example__case-02':
    'diff --git a/é.txt b/é.txt\n--- a/é.txt\n+++ b/é.txt\n@@ -1 +1 @@\n-naïve 中文\n+naïve 中文 🚀\n',
  'instance_example__case-03':
    'diff --git a/w.bat b/w.bat\n--- a/w.bat\n+++ b/w.bat\n@@ -1 +1 @@\n-echo a\r\n+echo b\r\n',
  'instance_example__case-04':
    'diff --git a/s.js b/s.js\n--- a/s.js\n+++ b/s.js\n@@ -1 +1 @@\n-x = "\\t"\n+x = "\u2028\u2029</script>\\\\"\t\n',
  'instance_example__case-05': '',
  'instance_example__case-06':
    'diff --git a/logo.png b/logo.png\nnew file mode 100644\nindex 0000000..e69de29\nGIT binary patch\nliteral 3\nKcmZ?wWMlvX0RR91\n\nliteral 0\nHcmV?d00001\n\n',
};

interface HarnessReadings {
  swe_bench_pro: { commit: string; patches: Record<string, string> };
  swe_bench: { commit: string; json: Record<string, unknown>[]; jsonl: Record<string, unknown>[] };
}

const readings = JSON.parse(readFileSync(join(FIXTURE, 'harness-readings.json'), 'utf8')) as HarnessReadings;

describe("the swebench-preds export read by the harnesses' own code (committed outputs)", () => {
  let out: string;
  before(async () => {
    const runs = mkdtempSync(join(tmpdir(), 'preds-parity-runs-'));
    for (const [taskId, patch] of Object.entries(PATCHES))
      await recordRun(runs, { runId: `${taskId}-a0`, taskId, attempt: 0, reward: 1, turns: 1, patch });
    out = mkdtempSync(join(tmpdir(), 'preds-parity-'));
    await exportDataset({ runs: [runs], format: 'swebench-preds', out, command: 'test' });
  });

  test('the export of these runs is still, byte for byte, the files the harnesses read', () => {
    for (const name of ['preds.json', 'preds.jsonl'])
      assert.equal(
        readFileSync(join(out, name), 'utf8'),
        readFileSync(join(FIXTURE, name), 'utf8'),
        `${name} changed: run the harnesses on the new export (test/fixtures/predictions/SOURCE.md)`,
      );
  });

  test("SWE-bench Pro's main() hands each instance's recorded patch, exactly, to its container step", () => {
    assert.deepEqual(readings.swe_bench_pro.patches, PATCHES);
  });

  test("SWE-bench's get_predictions_from_file reads both files as the same predictions, patches exact", () => {
    assert.deepEqual(readings.swe_bench.json, readings.swe_bench.jsonl);
    const patches = Object.fromEntries(readings.swe_bench.json.map((row) => [row.instance_id, row.model_patch]));
    assert.deepEqual(patches, PATCHES);
  });
});
