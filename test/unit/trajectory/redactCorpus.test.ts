import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { venvDir } from '../../../src/core/train/venv';
import { Redactor } from '../../../src/core/trajectory/redact';

const ROOT = join(__dirname, '..', '..', '..', '..');
const CODE = /\.(py|js|mjs|cjs|ts|go|rs|java|rb|c|h|json|toml|ya?ml|cfg|ini|md|txt|sh)$/;
const MAX_BYTES = 256 * 1024;
/** Files taken from each package tree: spread evenly over its sorted file list, so the sample is stable. */
const PER_TREE = 1500;

function filesUnder(dir: string, pattern: RegExp, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !entry.isSymbolicLink()) filesUnder(path, pattern, found);
    else if (entry.isFile() && pattern.test(entry.name) && statSync(path).size <= MAX_BYTES) found.push(path);
  }
  return found;
}

function spread(files: string[], count: number): string[] {
  if (files.length <= count) return files;
  const step = files.length / count;
  return Array.from({ length: count }, (_, i) => files[Math.floor(i * step)]);
}

/** The trainer venv's packages (torch, transformers, trl …): real Python code the machine has installed. */
function pythonPackages(): string {
  const venv = ['cpu', 'cuda'].map((variant) => venvDir(variant as 'cpu' | 'cuda')).find((dir) => existsSync(dir));
  assert.ok(venv, 'the trainer venv is missing: run sandbox/setup.sh --tests (or sandbox/trainer/setup-venv.sh)');
  const lib = join(venv, 'lib');
  const python = readdirSync(lib).find((name) => name.startsWith('python'));
  assert.ok(python, `no python folder under ${lib}`);
  return join(lib, python, 'site-packages');
}

/** Secrets like the ones a real run registers: a configured key, secret env values. */
const redactor = new Redactor({
  env: {
    OPENAI_API_KEY: 'sk-proj-Corpus0TestKey1abcdefghijklmnopqrstuvwxyz',
    DBPASSWORD: 'pw-for-the-corpus-test-93f1',
    HF_TOKEN: 'hf_CorpusTestTokenAbcdefghijklmnopqrstu',
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: '/root',
  },
  secrets: ['configured-key-7f3a9c2e41d8'],
});

describe('redaction never changes code', () => {
  test('bundled task sources and over 2,000 real files from installed npm and Python packages pass through unchanged', () => {
    const trees = [
      { name: 'bundled tasks', files: filesUnder(join(ROOT, 'tasks'), CODE) },
      { name: 'node_modules', files: spread(filesUnder(join(ROOT, 'node_modules'), CODE), PER_TREE) },
      { name: 'Python site-packages', files: spread(filesUnder(pythonPackages(), CODE), PER_TREE) },
    ];
    const changed: string[] = [];
    let files = 0;
    let bytes = 0;
    for (const tree of trees) {
      assert.ok(tree.files.length > 0, `no files found in ${tree.name}`);
      for (const file of tree.files) {
        const text = readFileSync(file, 'utf8');
        files += 1;
        bytes += text.length;
        const out = redactor.redactText(text);
        if (out !== text) changed.push(`${relative(ROOT, file)}: ${firstDifference(text, out)}`);
      }
    }
    assert.ok(files >= 2000 + trees[0].files.length, `only ${files} files were checked`);
    assert.deepEqual(changed, [], `${changed.length} of ${files} files (${bytes} characters) were changed`);
  });
});

function firstDifference(before: string, after: string): string {
  let at = 0;
  while (at < before.length && before[at] === after[at]) at += 1;
  return JSON.stringify(before.slice(Math.max(0, at - 40), at + 80));
}
