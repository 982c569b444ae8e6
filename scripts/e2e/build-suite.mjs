// Bundles the e2e mocha suite (test/e2e/suite/) into out/e2e/suite/index.js, the file VS Code's extension host
// loads as `extensionTestsPath`. Its files are not *.test.ts: node's test runner must not pick them up.
import { build } from 'esbuild';

await build({
  entryPoints: ['test/e2e/suite/index.ts'],
  outfile: 'out/e2e/suite/index.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // Like the other test bundles: packages load from the checkout's node_modules (native addons included),
  // and vscode is the extension host's own module.
  packages: 'external',
  external: ['vscode'],
});
