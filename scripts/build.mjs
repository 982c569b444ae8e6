// One build for everything: the extension bundle, the `rollout` CLI, and the test and benchmark files.
import { build } from 'esbuild';
import { readdirSync, statSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

function filesUnder(dir, pattern) {
  let found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found = found.concat(filesUnder(path, pattern));
    else if (pattern.test(name)) found.push(path);
  }
  return found;
}

const shared = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
};
// Native addons and packages with their own file layout stay outside the bundles.
const external = ['vscode', 'cpu-features', 'ssh2', 'tree-sitter', 'web-tree-sitter', 'onnxruntime-node'];

await Promise.all([
  build({ ...shared, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external }),
  build({
    ...shared,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    external,
    banner: { js: '#!/usr/bin/env node' },
  }),
  // The report's worker threads, loaded by path from the CLI, the extension and the tests alike.
  build({ ...shared, entryPoints: ['src/core/report/factsWorker.ts'], outfile: 'dist/report-worker.js', external }),
  // The report page (HTML report and VS Code Leaderboard), with Chart.js bundled in: one script, no network.
  build({
    entryPoints: ['media/report/page.ts'],
    outfile: 'dist/report-page.js',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2020',
    minify: true,
    logLevel: 'warning',
  }),
  build({
    ...shared,
    entryPoints: [
      ...filesUnder('test', /\.(test|child)\.ts$/),
      ...filesUnder('bench', /^index\.ts$/),
      ...filesUnder('scripts', /\.ts$/),
    ],
    outdir: 'out',
    outbase: '.',
    packages: 'external',
  }),
]);
chmodSync('dist/cli.js', 0o755);
