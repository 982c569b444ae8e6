import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebTreeSitterParser } from '../../../src/core/agent/codemap/webTreeSitterParser';
import { formatSymbols, languageForPath, type LanguageId } from '../../../src/core/agent/codemap/symbols';

const parser = new WebTreeSitterParser();

async function outline(language: LanguageId, source: string): Promise<string[]> {
  return formatSymbols(await parser.symbols(language, source));
}

describe('code map symbols with web-tree-sitter', () => {
  test('python: classes, methods, decorated and nested definitions', async () => {
    const source = [
      'import os',
      'class Ledger(Base):',
      '    """Doc."""',
      '    def __init__(self):',
      '        def helper():',
      '            pass',
      '    @property',
      '    def total(self):',
      '        return 1',
      '',
      '    class Entry:',
      '        def amount(self): return 0',
      '',
      '@cache',
      'def parse(text):',
      '    return text',
      '',
      "if __name__ == '__main__':",
      '    def main():',
      '        pass',
    ].join('\n');
    assert.deepEqual(await outline('python', source), [
      'class Ledger  L2-12',
      '  method __init__  L4-6',
      '  method total  L8-9',
      '  class Entry  L11-12',
      '    method amount  L12-12',
      'function parse  L15-16',
      'function main  L19-20',
    ]);
  });

  test('typescript: functions, arrow constants, classes, members, interfaces, enums, namespaces', async () => {
    const source = [
      'export function top(a: number): number { return a; }',
      'const arrow = (x: string) => x;',
      'const notAFunction = 3;',
      'export default class Box<T> extends Base {',
      '  private field = 1;',
      '  handler = () => 2;',
      '  constructor() { super(); }',
      '  static make(): Box<number> { return new Box(); }',
      '}',
      'abstract class Shape { abstract area(): number; }',
      'interface Sized { size(): number }',
      'type Alias = { a: number };',
      'enum Color { Red }',
      'namespace NS { export function inner() {} }',
      "describe('x', () => { function local() {} });",
    ].join('\n');
    assert.deepEqual(await outline('typescript', source), [
      'function top  L1-1',
      'function arrow  L2-2',
      'class Box  L4-9',
      '  method handler  L6-6',
      '  method constructor  L7-7',
      '  method make  L8-8',
      'class Shape  L10-10',
      '  method area  L10-10',
      'interface Sized  L11-11',
      'type Alias  L12-12',
      'enum Color  L13-13',
      'module NS  L14-14',
      '  function inner  L14-14',
    ]);
  });

  test('tsx and javascript', async () => {
    assert.deepEqual(await outline('tsx', 'export const App = () => <div/>;\nfunction Other() { return null; }'), [
      'function App  L1-1',
      'function Other  L2-2',
    ]);
    assert.deepEqual(
      await outline('javascript', 'class K {\n  field = () => 1;\n  method() {}\n}\nmodule.exports = { K };'),
      ['class K  L1-4', '  method field  L2-2', '  method method  L3-3'],
    );
  });

  test('go: functions, methods under their receiver type, structs and interfaces', async () => {
    const source =
      'package main\ntype Point struct { X int }\ntype Shape interface { Area() float64 }\ntype ID string\nfunc (p *Point) Move(dx int) {\n  p.X += dx\n}\nfunc (b Box[T]) Get() T { return b.v }\nfunc main() {}\n';
    assert.deepEqual(await outline('go', source), [
      'struct Point  L2-2',
      'interface Shape  L3-3',
      'type ID  L4-4',
      'method Point.Move  L5-7',
      'method Box.Get  L8-8',
      'function main  L9-9',
    ]);
  });

  test('rust: items, impl blocks with methods, traits, modules', async () => {
    const source =
      'struct P { x: i32 }\nenum E { A }\ntrait T { fn req(&self); fn def(&self) {} }\nimpl P {\n  fn new() -> Self { P { x: 1 } }\n}\nimpl T for P { fn req(&self) {} }\nmod m { pub fn f() {} }\nfn main() {}\n';
    assert.deepEqual(await outline('rust', source), [
      'struct P  L1-1',
      'enum E  L2-2',
      'trait T  L3-3',
      '  method def  L3-3',
      'impl P  L4-6',
      '  method new  L5-5',
      'impl T for P  L7-7',
      '  method req  L7-7',
      'module m  L8-8',
      '  function f  L8-8',
      'function main  L9-9',
    ]);
  });

  test('java and ruby', async () => {
    const java =
      'public class A {\n  public A() {}\n  void m() {}\n  interface Inner { void x(); }\n  enum E { X }\n}\n';
    assert.deepEqual(await outline('java', java), [
      'class A  L1-6',
      '  method A  L2-2',
      '  method m  L3-3',
      '  interface Inner  L4-4',
      '    method x  L4-4',
      '  enum E  L5-5',
    ]);
    const ruby = 'module M\n  class C < Base\n    def m; end\n    def self.s; end\n  end\nend\ndef top; end\n';
    assert.deepEqual(await outline('ruby', ruby), [
      'module M  L1-6',
      '  class C  L2-5',
      '    method m  L3-3',
      '    method self.s  L4-4',
      'function top  L7-7',
    ]);
  });

  test('a file with a syntax error still yields the symbols around it', async () => {
    assert.deepEqual(await outline('python', 'def ok():\n    pass\n\ndef broken(:\n\nclass After:\n    pass\n'), [
      'function ok  L1-2',
      'function broken  L4-4',
      'class After  L6-7',
    ]);
  });

  test('languages come from file names', () => {
    assert.equal(languageForPath('src/a.py'), 'python');
    assert.equal(languageForPath('types/index.d.ts'), 'typescript');
    assert.equal(languageForPath('App.TSX'), 'tsx');
    assert.equal(languageForPath('README.md'), undefined);
    assert.equal(languageForPath('Makefile'), undefined);
  });
});
