/** Symbols through web-tree-sitter (WebAssembly): runs anywhere Node runs, the VS Code extension host included. */
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { Language, Parser } from 'web-tree-sitter';
import type { SymbolParser } from './parser';
import { extractSymbols, type CodeSymbol, type LanguageId, type SyntaxNodeLike } from './symbols';

/** The grammar file of each language in @vscode/tree-sitter-wasm (the grammars VS Code itself ships). */
const GRAMMAR_FILES: Record<LanguageId, string> = {
  python: 'tree-sitter-python.wasm',
  javascript: 'tree-sitter-javascript.wasm',
  typescript: 'tree-sitter-typescript.wasm',
  tsx: 'tree-sitter-tsx.wasm',
  go: 'tree-sitter-go.wasm',
  rust: 'tree-sitter-rust.wasm',
  java: 'tree-sitter-java.wasm',
  ruby: 'tree-sitter-ruby.wasm',
};

export class WebTreeSitterParser implements SymbolParser {
  readonly engine = 'web-tree-sitter';

  /** `grammarDir` holds the `tree-sitter-<language>.wasm` files; by default those of @vscode/tree-sitter-wasm. */
  constructor(private readonly grammarDir = defaultGrammarDir()) {}

  async symbols(language: LanguageId, source: string): Promise<CodeSymbol[]> {
    const parser = await sharedParser();
    // Nothing runs between setting the language and parsing, so every parser of the process can share one.
    parser.setLanguage(await grammar(join(this.grammarDir, GRAMMAR_FILES[language]), language));
    const tree = parser.parse(source);
    if (!tree) throw new Error(`web-tree-sitter returned no tree for a ${language} file`);
    try {
      return extractSymbols(tree.rootNode as unknown as SyntaxNodeLike, language);
    } finally {
      // Trees live in WebAssembly memory, which the JavaScript garbage collector does not free.
      tree.delete();
    }
  }
}

// web-tree-sitter holds one WebAssembly instance per process, and neither its start nor a grammar's load may overlap
// another: two starts at once make two instances (grammars loaded into one, parsed by the other), and two loads at
// once corrupt its function table. Either fails the first code_map calls of parallel rollouts ("null function or
// function signature mismatch", "Incompatible language version 0"). So it starts once, and grammars load one by one,
// each once, for every parser of the process.
let runtime: Promise<typeof import('web-tree-sitter')> | undefined;
let processParser: Promise<Parser> | undefined;
const grammars = new Map<string, Promise<Language>>();
let lastGrammarLoad: Promise<unknown> = Promise.resolve();

function webTreeSitter(): Promise<typeof import('web-tree-sitter')> {
  runtime ??= import('web-tree-sitter').then(async (module) => {
    await module.Parser.init();
    return module;
  });
  return runtime;
}

function sharedParser(): Promise<Parser> {
  processParser ??= webTreeSitter().then(({ Parser }) => new Parser());
  return processParser;
}

function grammar(file: string, language: LanguageId): Promise<Language> {
  let loaded = grammars.get(file);
  if (!loaded) {
    loaded = lastGrammarLoad.then(async () => {
      if (!existsSync(file)) throw new Error(`tree-sitter grammar for ${language} not found at ${file}`);
      const { Language } = await webTreeSitter();
      return Language.load(file);
    });
    lastGrammarLoad = loaded.catch(() => undefined);
    grammars.set(file, loaded);
  }
  return loaded;
}

function defaultGrammarDir(): string {
  return join(dirname(require.resolve('@vscode/tree-sitter-wasm/package.json')), 'wasm');
}
