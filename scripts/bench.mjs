// Runs one compiled benchmark: `node scripts/bench.mjs <sandbox|agent|eval|…> [its arguments]`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runWithScratchTmp } from './scratchTmp.mjs';

const [name, ...args] = process.argv.slice(2);
if (!name) {
  console.error('usage: node scripts/bench.mjs <a folder under bench/> [its arguments]');
  process.exit(1);
}
const entry = join('out', 'bench', name, 'index.js');
if (!existsSync(entry)) {
  console.error(`no compiled benchmark ${entry}: name a folder under bench/ and run \`npm run build\` first`);
  process.exit(1);
}
process.exit(runWithScratchTmp('rollout-bench-', ['--enable-source-maps', entry, ...args]));
