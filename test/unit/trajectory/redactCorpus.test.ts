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
/** Paths of code that deals with credentials: authentication, tokens, sessions, signing. */
const CREDENTIAL_CODE_PATH = /auth|token|secret|passw|credential|oauth|login|crypt|signing|jwt|session|keyring|hmac/i;
/** What the old `name=value` guessing rewrote: an assignment or annotation of a password/secret/token/key name. */
const SECRET_NAMED_ASSIGNMENT = /\b\w*(?:password|passwd|secret|token|api_?key|credential)\w*\s*[=:]/i;

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

/** Every code file of the installed npm and Python packages, listed once for both tests. */
let packageTrees: { name: string; files: string[] }[] | undefined;
function installedPackages(): { name: string; files: string[] }[] {
  packageTrees ??= [
    { name: 'node_modules', files: filesUnder(join(ROOT, 'node_modules'), CODE) },
    { name: 'Python site-packages', files: filesUnder(pythonPackages(), CODE) },
  ];
  return packageTrees;
}

describe('redaction never changes code', () => {
  test('bundled task sources and over 2,000 real files from installed npm and Python packages pass through unchanged', () => {
    const trees = [
      { name: 'bundled tasks', files: filesUnder(join(ROOT, 'tasks'), CODE) },
      ...installedPackages().map((tree) => ({ name: tree.name, files: spread(tree.files, PER_TREE) })),
    ];
    const { files, secretNamed } = assertUnchanged(trees);
    assert.ok(files >= 2000 + trees[0].files.length, `only ${files} files were checked`);
    assert.ok(secretNamed >= 200, `only ${secretNamed} of them assign to password/secret/token/key names`);
  });

  test('real credential-handling code (auth, tokens, sessions, signing) with password/secret/token names passes through unchanged', () => {
    const trees = installedPackages().map((tree) => ({
      name: tree.name,
      files: tree.files.filter((file) =>
        CREDENTIAL_CODE_PATH.test(relative(ROOT, file).replace(/^.*site-packages/, '')),
      ),
    }));
    const { secretNamed } = assertUnchanged(trees, (text) => SECRET_NAMED_ASSIGNMENT.test(text));
    // e.g. requests/auth.py, aiohttp's digest auth, @aws-sdk's credential providers, @azure/identity.
    assert.ok(secretNamed >= 800, `only ${secretNamed} credential-handling files were checked`);
  });
});

/**
 * Passes every file (those `keep` accepts) through the redactor and asserts that none changed; returns how many
 * files were checked and how many of them assign to a password/secret/token/key name.
 */
function assertUnchanged(
  trees: { name: string; files: string[] }[],
  keep: (text: string) => boolean = () => true,
): { files: number; secretNamed: number } {
  const changed: string[] = [];
  let files = 0;
  let secretNamed = 0;
  let bytes = 0;
  for (const tree of trees) {
    assert.ok(tree.files.length > 0, `no files found in ${tree.name}`);
    for (const file of tree.files) {
      const text = readFileSync(file, 'utf8');
      if (!keep(text)) continue;
      files += 1;
      bytes += text.length;
      if (SECRET_NAMED_ASSIGNMENT.test(text)) secretNamed += 1;
      const out = redactor.redactText(text);
      if (out !== text) changed.push(`${relative(ROOT, file)}: ${firstDifference(text, out)}`);
    }
  }
  assert.deepEqual(changed, [], `${changed.length} of ${files} files (${bytes} characters) were changed`);
  return { files, secretNamed };
}

function firstDifference(before: string, after: string): string {
  let at = 0;
  while (at < before.length && before[at] === after[at]) at += 1;
  return JSON.stringify(before.slice(Math.max(0, at - 40), at + 80));
}
