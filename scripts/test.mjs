// Runs the compiled test files with node's test runner: `node scripts/test.mjs [unit|integration|faults|e2e …]`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? testFiles(path) : name.endsWith('.test.js') ? [path] : [];
  });
}

/**
 * Removes the run's temporary folder. What a test could not clean up (a CLI the fault suite kills, a suite that
 * fails half way) goes with it, so that runs do not pile up in the system's temporary folder.
 */
function removeScratch(scratch) {
  try {
    rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    console.error(`could not remove the tests' temporary folder ${scratch}: ${error.message}`);
  }
}

const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'faults', 'e2e'];
const files = suites.flatMap((suite) => testFiles(join('out', 'test', suite)));
if (files.length === 0) {
  console.error(`no compiled tests found for ${suites.join(', ')}: run \`npm run build\` first`);
  process.exit(1);
}
// Every temporary folder the tests and the processes they start make goes under this one.
const scratch = mkdtempSync(join(tmpdir(), 'rollout-tests-'));
const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, TMPDIR: scratch },
});
removeScratch(scratch);
process.exit(result.status ?? 1);
