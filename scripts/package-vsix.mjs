// Packages the extension as a VSIX with @vscode/vsce (no network needed) and prints what it made: its path, its
// file count and its size (the README's figure comes from this line). Extra arguments go to `vsce package`
// (a later `--out` wins).
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const args = process.argv.slice(2);
const outAt = args.lastIndexOf('--out');
const out = outAt >= 0 ? args[outAt + 1] : 'rollout-studio.vsix';
const vsce = join(dirname(createRequire(import.meta.url).resolve('@vscode/vsce/package.json')), 'vsce');
const packaged = spawnSync(
  process.execPath,
  [
    vsce,
    'package',
    '--allow-missing-repository',
    '--skip-license',
    '--no-rewrite-relative-links',
    '--out',
    out,
    ...args,
  ],
  { stdio: 'inherit' },
);
if (packaged.status !== 0) process.exit(packaged.status ?? 1);
const listed = spawnSync('unzip', ['-Z1', out], { encoding: 'utf8' });
const files = listed.status === 0 ? listed.stdout.trim().split('\n').length : null;
const mib = statSync(out).size / 1024 ** 2;
console.log(`VSIX ${out}: ${mib.toFixed(2)} MiB${files === null ? '' : `, ${files} files`}`);
