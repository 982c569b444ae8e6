/** A tree-sitter engine that turns source text into symbols. One file per engine. */
import type { CodeSymbol, LanguageId } from './symbols';

export interface SymbolParser {
  /** Which engine this is, for run metadata: symbols must not differ between engines. */
  readonly engine: 'web-tree-sitter' | 'tree-sitter';
  symbols(language: LanguageId, source: string): Promise<CodeSymbol[]>;
}
