// Packages the extension as a VSIX with @vscode/vsce (no network needed) for one platform and prints what it made:
// its path, its file count and its size (the README's figure comes from this line). The platform is vsce's
// `--target` (default: this machine's, as `linux-x64`): the VSIX holds that platform's onnxruntime binary (the
// verifier's scorer, loaded by Select Best Attempts with Verifier…) and no other's. Extra arguments go to
// `vsce package` (a later `--out` or `--target` wins).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const ONNXRUNTIME_BINARIES = 'node_modules/onnxruntime-node/bin/napi-v6';

const args = process.argv.slice(2);
// Read as vsce reads them (`--out F`, `--out=F`, `-t T`; the last one given wins); the rest is vsce's alone.
const { values } = parseArgs({
  args,
  options: { out: { type: 'string' }, target: { type: 'string', short: 't' } },
  strict: false,
  allowPositionals: true,
});
const out = values.out ?? 'rollout-studio.vsix';
const target = values.target ?? `${process.platform}-${process.arch}`;
const binaries = `${ONNXRUNTIME_BINARIES}/${target.replace('-', '/')}`;
if (!/^[a-z0-9]+-[a-z0-9]+$/.test(target) || !existsSync(binaries)) {
  console.error(`package: onnxruntime-node has no binary for the target ${target} (${binaries} is missing)`);
  process.exit(1);
}
const scratch = mkdtempSync(join(tmpdir(), 'rollout-vsix-'));
const ignoreFile = join(scratch, '.vscodeignore');
writeFileSync(ignoreFile, `${readFileSync('.vscodeignore', 'utf8')}\n!${binaries}/*\n`);
const vsce = join(dirname(createRequire(import.meta.url).resolve('@vscode/vsce/package.json')), 'vsce');
const packaged = spawnSync(
  process.execPath,
  [
    vsce,
    'package',
    '--allow-missing-repository',
    '--skip-license',
    '--no-rewrite-relative-links',
    '--ignoreFile',
    ignoreFile,
    '--target',
    target,
    '--out',
    out,
    ...args,
  ],
  { stdio: 'inherit' },
);
rmSync(scratch, { recursive: true, force: true });
if (packaged.status !== 0) process.exit(packaged.status ?? 1);
const listed = spawnSync('unzip', ['-Z1', out], { encoding: 'utf8' });
const files = listed.status === 0 ? listed.stdout.trim().split('\n').length : null;
const mib = statSync(out).size / 1024 ** 2;
console.log(`VSIX ${out} (${target}): ${mib.toFixed(2)} MiB${files === null ? '' : `, ${files} files`}`);
