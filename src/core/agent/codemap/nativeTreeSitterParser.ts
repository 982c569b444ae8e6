/**
 * Symbols through the native `tree-sitter` Node binding, for the CLI where it loads (it is an optional
 * dependency built from source). Same grammars' symbols as web-tree-sitter; languages without a native
 * grammar package go to the fallback parser.
 */
import { createRequire } from 'node:module';
import type { SymbolParser } from './parser';
import { extractSymbols, type CodeSymbol, type LanguageId, type SyntaxNodeLike } from './symbols';
import { WebTreeSitterParser } from './webTreeSitterParser';

/** The parts of the binding used here; typed locally because the package may not be installed. */
interface NativeParser {
  setLanguage(language: unknown): void;
  parse(input: string): { rootNode: SyntaxNodeLike };
}

/** The npm package (and export) holding each language's native grammar. */
const NATIVE_GRAMMARS: Partial<Record<LanguageId, { module: string; member?: string }>> = {
  python: { module: 'tree-sitter-python' },
  javascript: { module: 'tree-sitter-javascript' },
  typescript: { module: 'tree-sitter-typescript', member: 'typescript' },
  tsx: { module: 'tree-sitter-typescript', member: 'tsx' },
};

// Loaded by computed name at run time, so bundlers leave these native packages in node_modules.
const loadModule = (name: string): unknown => createRequire(__filename)(name);

export class NativeTreeSitterParser implements SymbolParser {
  readonly engine = 'tree-sitter';
  private readonly grammars = new Map<LanguageId, unknown>();

  private constructor(
    private readonly parser: NativeParser,
    private readonly fallback: SymbolParser,
  ) {}

  /** The parser, or why the native binding does not load here. */
  static load(fallback: SymbolParser): { parser: NativeTreeSitterParser } | { unavailable: string } {
    try {
      const Parser = loadModule('tree-sitter') as new () => NativeParser;
      return { parser: new NativeTreeSitterParser(new Parser(), fallback) };
    } catch (error) {
      return {
        unavailable: `the native tree-sitter binding does not load: ${(error as Error).message.split('\n')[0]}`,
      };
    }
  }

  /** Languages this parser handles natively; the others go to the fallback. */
  get nativeLanguages(): LanguageId[] {
    return Object.keys(NATIVE_GRAMMARS) as LanguageId[];
  }

  async symbols(language: LanguageId, source: string): Promise<CodeSymbol[]> {
    const grammar = this.grammar(language);
    if (grammar === undefined) return this.fallback.symbols(language, source);
    this.parser.setLanguage(grammar);
    return extractSymbols(this.parser.parse(source).rootNode, language);
  }

  private grammar(language: LanguageId): unknown {
    const spec = NATIVE_GRAMMARS[language];
    if (!spec) return undefined;
    if (!this.grammars.has(language)) {
      const loaded = loadModule(spec.module) as Record<string, unknown>;
      this.grammars.set(language, spec.member ? loaded[spec.member] : loaded);
    }
    return this.grammars.get(language);
  }
}

/** For the CLI: the native binding where it loads, web-tree-sitter otherwise and for other languages. */
export function createCliSymbolParser(): SymbolParser {
  const web = new WebTreeSitterParser();
  const native = NativeTreeSitterParser.load(web);
  return 'parser' in native ? native.parser : web;
}
