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
  private parser?: Promise<Parser>;
  private readonly languages = new Map<LanguageId, Promise<Language>>();

  /** `grammarDir` holds the `tree-sitter-<language>.wasm` files; by default those of @vscode/tree-sitter-wasm. */
  constructor(private readonly grammarDir = defaultGrammarDir()) {}

  async symbols(language: LanguageId, source: string): Promise<CodeSymbol[]> {
    const parser = await this.loadParser();
    parser.setLanguage(await this.loadLanguage(language));
    const tree = parser.parse(source);
    if (!tree) throw new Error(`web-tree-sitter returned no tree for a ${language} file`);
    try {
      return extractSymbols(tree.rootNode as unknown as SyntaxNodeLike, language);
    } finally {
      // Trees live in WebAssembly memory, which the JavaScript garbage collector does not free.
      tree.delete();
    }
  }

  private loadParser(): Promise<Parser> {
    this.parser ??= import('web-tree-sitter').then(async ({ Parser }) => {
      await Parser.init();
      return new Parser();
    });
    return this.parser;
  }

  private loadLanguage(language: LanguageId): Promise<Language> {
    let loaded = this.languages.get(language);
    if (!loaded) {
      const file = join(this.grammarDir, GRAMMAR_FILES[language]);
      loaded = this.loadParser().then(async () => {
        if (!existsSync(file)) throw new Error(`tree-sitter grammar for ${language} not found at ${file}`);
        const { Language } = await import('web-tree-sitter');
        return Language.load(file);
      });
      this.languages.set(language, loaded);
    }
    return loaded;
  }
}

function defaultGrammarDir(): string {
  return join(dirname(require.resolve('@vscode/tree-sitter-wasm/package.json')), 'wasm');
}
