import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { WebTreeSitterParser } from '../../../src/core/agent/codemap/webTreeSitterParser';
import type { LanguageId } from '../../../src/core/agent/codemap/symbols';
import { FIRST_USE_SOURCES } from './codeMapFirstUse.child';

const CHILD = join(__dirname, 'codeMapFirstUse.child.js');
const PARSERS = 8;

test('parsers used for the first time at once, as the first turns of parallel rollouts use them, each give the symbols one parser gives alone (web-tree-sitter, a fresh process each time)', async () => {
  const languages = Object.keys(FIRST_USE_SOURCES) as LanguageId[];
  const alone = new WebTreeSitterParser();
  const expected: string[][] = [];
  for (let index = 0; index < PARSERS; index++) {
    const language = languages[index % languages.length];
    const symbols = await alone.symbols(language, FIRST_USE_SOURCES[language] as string);
    expected.push(symbols.map((symbol) => symbol.name));
  }
  assert.ok(expected.every((names) => names.length > 0));
  // Before web-tree-sitter was started once per process, every run here failed most of its parsers.
  for (let run = 0; run < 5; run++) {
    const { stdout } = await promisify(execFile)(process.execPath, [CHILD], {
      env: { ...process.env, ROLLOUT_FIRST_USE_PARSERS: String(PARSERS) },
    });
    assert.deepEqual(JSON.parse(stdout), expected, `run ${run + 1}`);
  }
});
