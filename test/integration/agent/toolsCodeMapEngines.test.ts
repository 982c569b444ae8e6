import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { NativeTreeSitterParser, createCliSymbolParser } from '../../../src/core/agent/codemap/nativeTreeSitterParser';
import {
  formatSymbols,
  languageForPath,
  type CodeSymbol,
  type LanguageId,
} from '../../../src/core/agent/codemap/symbols';
import { WebTreeSitterParser } from '../../../src/core/agent/codemap/webTreeSitterParser';

/** Real code nobody on this project wrote for this test: installed packages and the example task repositories. */
const CORPUS_ROOTS = [
  'node_modules/openai/src',
  'node_modules/ajv/dist',
  'node_modules/typescript/lib',
  'node_modules/flatted/python',
  'tasks/examples',
  'src',
];
const FILES_PER_LANGUAGE = 150;
const MAX_BYTES = 512 * 1024;

function corpus(): Map<LanguageId, string[]> {
  const byLanguage = new Map<LanguageId, string[]>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      const language = languageForPath(name);
      if (!stat.isFile() || !language || stat.size > MAX_BYTES) continue;
      const files = byLanguage.get(language) ?? [];
      if (files.length < FILES_PER_LANGUAGE) byLanguage.set(language, [...files, path]);
    }
  };
  CORPUS_ROOTS.forEach(walk);
  return byLanguage;
}

function count(symbols: CodeSymbol[]): number {
  return symbols.reduce((total, symbol) => total + 1 + count(symbol.children), 0);
}

describe('code_map engines: the native tree-sitter binding and web-tree-sitter', () => {
  const web = new WebTreeSitterParser();
  const loaded = NativeTreeSitterParser.load(web);

  test('the native binding loads in this checkout (optional dependency built from source)', () => {
    assert.ok('parser' in loaded, 'unavailable' in loaded ? loaded.unavailable : '');
    assert.equal(createCliSymbolParser().engine, 'tree-sitter');
  });

  test('give identical symbols on the same real files', async () => {
    assert.ok('parser' in loaded);
    const native = loaded.parser;
    const files = corpus();
    for (const language of native.nativeLanguages.filter((language) => language !== 'tsx')) {
      const paths = files.get(language) ?? [];
      assert.ok(paths.length >= 10, `corpus has only ${paths.length} ${language} files`);
      let symbols = 0;
      for (const path of paths) {
        const source = readFileSync(path, 'utf8');
        const fromWeb = await web.symbols(language, source);
        assert.deepEqual(await native.symbols(language, source), fromWeb, `${path}: the engines disagree`);
        symbols += count(fromWeb);
      }
      assert.ok(symbols >= 50, `${language}: only ${symbols} symbols in ${paths.length} files, too few to compare`);
    }
  });

  test('give identical symbols for TSX, and hand languages without a native grammar to web-tree-sitter', async () => {
    assert.ok('parser' in loaded);
    const tsx =
      'import React from "react";\nexport function App() {\n  return <div onClick={() => 1}>hi</div>;\n}\nexport const Item = ({ name }: { name: string }) => <li>{name}</li>;\nclass Panel extends React.Component { render() { return <p/>; } }\n';
    const fromWeb = await web.symbols('tsx', tsx);
    assert.equal(count(fromWeb), 4);
    assert.deepEqual(await loaded.parser.symbols('tsx', tsx), fromWeb);
    const go = 'package main\nfunc main() {}\n';
    assert.deepEqual(await loaded.parser.symbols('go', go), await web.symbols('go', go));
  });

  // The agent picks what code_map reads: a file nested thousands deep must map like any other, on both engines.
  test('map an expression nested 10,000 deep and 3,000 nested namespaces', async () => {
    assert.ok('parser' in loaded);
    const depth = 10_000;
    const deepExpression = `x = ${'('.repeat(depth)}1${')'.repeat(depth)}\ndef after():\n    pass\n`;
    const namespaces = 3_000;
    const nested =
      Array.from({ length: namespaces }, (_, i) => `namespace N${i} {\n`).join('') + '}\n'.repeat(namespaces);
    const innermost = `${'  '.repeat(namespaces - 1)}module N${namespaces - 1}  L${namespaces}-${namespaces + 1}`;
    for (const parser of [web, loaded.parser]) {
      assert.deepEqual(formatSymbols(await parser.symbols('python', deepExpression)), ['function after  L2-3']);
      const outline = formatSymbols(await parser.symbols('typescript', nested));
      assert.equal(outline.length, namespaces, parser.engine);
      assert.equal(outline[namespaces - 1], innermost, parser.engine);
    }
  });
});
