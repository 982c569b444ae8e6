// Runs the compiled test files with node's test runner: `node scripts/test.mjs [unit|integration|faults|e2e …]`.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runWithScratchTmp } from './scratchTmp.mjs';

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? testFiles(path) : name.endsWith('.test.js') ? [path] : [];
  });
}

const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'faults', 'e2e'];
const files = suites.flatMap((suite) => testFiles(join('out', 'test', suite)));
if (files.length === 0) {
  console.error(`no compiled tests found for ${suites.join(', ')}: run \`npm run build\` first`);
  process.exit(1);
}
process.exit(runWithScratchTmp('rollout-tests-', ['--enable-source-maps', '--test', '--test-reporter=spec', ...files]));
