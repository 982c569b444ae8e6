/**
 * Symbols (classes, functions, methods … with line spans) from a tree-sitter syntax tree. Written against
 * the few node members that web-tree-sitter and the native binding share, so both engines give the same
 * symbols for the same source.
 */

export type SymbolKind =
  'class' | 'function' | 'method' | 'interface' | 'struct' | 'enum' | 'trait' | 'impl' | 'module' | 'type';

export interface CodeSymbol {
  name: string;
  kind: SymbolKind;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  /** Members of a class-like symbol (methods, nested classes). */
  children: CodeSymbol[];
}

export type LanguageId = 'python' | 'javascript' | 'typescript' | 'tsx' | 'go' | 'rust' | 'java' | 'ruby';

/** The members of a syntax node used here; both tree-sitter engines' nodes have them. */
export interface SyntaxNodeLike {
  type: string;
  text: string;
  startPosition: { row: number };
  endPosition: { row: number };
  namedChildren: (SyntaxNodeLike | null)[];
  childForFieldName(field: string): SyntaxNodeLike | null;
}

const EXTENSIONS: Record<string, LanguageId> = {
  '.py': 'python',
  '.pyi': 'python',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.jsx': 'javascript',
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.tsx': 'tsx',
  '.go': 'go',
  '.rs': 'rust',
  '.java': 'java',
  '.rb': 'ruby',
};

/** The language of a file from its name, or undefined when no grammar covers it. */
export function languageForPath(path: string): LanguageId | undefined {
  if (path.endsWith('.d.ts')) return 'typescript';
  const dot = path.lastIndexOf('.');
  return dot === -1 ? undefined : EXTENSIONS[path.slice(dot).toLowerCase()];
}

export function supportedExtensions(): string[] {
  return Object.keys(EXTENSIONS);
}

interface SymbolRule {
  kind: SymbolKind;
  /** Its members are symbols too (a class's methods); otherwise the walk does not look inside it. */
  container?: boolean;
  /** The symbol's name, or undefined when this node is not a symbol after all (e.g. `const x = 1`). */
  name?: (node: SyntaxNodeLike) => string | undefined;
}

type Rules = Record<string, SymbolRule>;

const byNameField = (node: SyntaxNodeLike) => node.childForFieldName('name')?.text;
const FUNCTION_VALUES = new Set(['arrow_function', 'function_expression', 'function', 'generator_function']);
const functionValued = (nameField: string, valueField: string) => (node: SyntaxNodeLike) =>
  FUNCTION_VALUES.has(node.childForFieldName(valueField)?.type ?? '')
    ? node.childForFieldName(nameField)?.text
    : undefined;

const JAVASCRIPT: Rules = {
  function_declaration: { kind: 'function' },
  generator_function_declaration: { kind: 'function' },
  class_declaration: { kind: 'class', container: true },
  class: { kind: 'class', container: true },
  method_definition: { kind: 'method' },
  variable_declarator: { kind: 'function', name: functionValued('name', 'value') },
  field_definition: { kind: 'method', name: functionValued('property', 'value') },
};

const TYPESCRIPT: Rules = {
  ...JAVASCRIPT,
  abstract_class_declaration: { kind: 'class', container: true },
  public_field_definition: { kind: 'method', name: functionValued('name', 'value') },
  abstract_method_signature: { kind: 'method' },
  interface_declaration: { kind: 'interface' },
  type_alias_declaration: { kind: 'type' },
  enum_declaration: { kind: 'enum' },
  internal_module: { kind: 'module', container: true },
};

const RULES: Record<LanguageId, Rules> = {
  python: {
    class_definition: { kind: 'class', container: true },
    function_definition: { kind: 'function' },
  },
  javascript: JAVASCRIPT,
  typescript: TYPESCRIPT,
  tsx: TYPESCRIPT,
  go: {
    function_declaration: { kind: 'function' },
    method_declaration: { kind: 'method', name: goMethodName },
    type_spec: { kind: 'type', name: byNameField },
  },
  rust: {
    function_item: { kind: 'function' },
    struct_item: { kind: 'struct' },
    enum_item: { kind: 'enum' },
    trait_item: { kind: 'trait', container: true },
    impl_item: { kind: 'impl', container: true, name: rustImplName },
    mod_item: { kind: 'module', container: true },
  },
  java: {
    class_declaration: { kind: 'class', container: true },
    interface_declaration: { kind: 'interface', container: true },
    enum_declaration: { kind: 'enum', container: true },
    record_declaration: { kind: 'class', container: true },
    method_declaration: { kind: 'method' },
    constructor_declaration: { kind: 'method' },
  },
  ruby: {
    class: { kind: 'class', container: true },
    module: { kind: 'module', container: true },
    method: { kind: 'function' },
    singleton_method: { kind: 'function', name: (node) => `self.${byNameField(node)}` },
  },
};

/** Function-like nodes that are not symbols themselves: what is declared inside them is local, so skipped. */
const OPAQUE = new Set([
  'arrow_function',
  'function_expression',
  'function',
  'generator_function',
  'lambda',
  'func_literal',
  'closure_expression',
  'do_block',
]);

const CLASS_LIKE: ReadonlySet<SymbolKind> = new Set(['class', 'interface', 'struct', 'enum', 'trait', 'impl']);

/** A node still to visit, with the kind of symbol it sits in and the list its symbols go into. */
interface PendingNode {
  node: SyntaxNodeLike;
  container: SymbolKind | undefined;
  into: CodeSymbol[];
}

/**
 * The symbols of a parsed file, outermost first, members nested under their class. A loop over a stack, not
 * recursion: the agent chooses the files, and one nested thousands deep would overflow the call stack.
 */
export function extractSymbols(root: SyntaxNodeLike, language: LanguageId): CodeSymbol[] {
  const rules = RULES[language];
  const found: CodeSymbol[] = [];
  const pending: PendingNode[] = [];
  pushChildren(pending, root, undefined, found);
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { node, container, into } = next;
    const rule = rules[node.type];
    const name = rule ? (rule.name ?? byNameField)(node) : undefined;
    if (rule && name) {
      const kind =
        rule.kind === 'function' && container && CLASS_LIKE.has(container) ? 'method' : refineKind(rule.kind, node);
      const symbol: CodeSymbol = {
        name,
        kind,
        startLine: node.startPosition.row + 1,
        endLine: node.endPosition.row + 1,
        children: [],
      };
      into.push(symbol);
      if (rule.container) pushChildren(pending, node, kind, symbol.children);
    } else if (!rule && !OPAQUE.has(node.type)) {
      pushChildren(pending, node, container, into);
    }
  }
  return found;
}

/** Last child first, so that the stack hands them out in source order. */
function pushChildren(
  pending: PendingNode[],
  node: SyntaxNodeLike,
  container: SymbolKind | undefined,
  into: CodeSymbol[],
): void {
  const children = node.namedChildren;
  for (let index = children.length - 1; index >= 0; index--) {
    const child = children[index];
    if (child) pending.push({ node: child, container, into });
  }
}

/** Go declares structs and interfaces as `type X struct/interface`; name them for what they are. */
function refineKind(kind: SymbolKind, node: SyntaxNodeLike): SymbolKind {
  if (node.type !== 'type_spec') return kind;
  const typeNode = node.childForFieldName('type')?.type;
  return typeNode === 'struct_type' ? 'struct' : typeNode === 'interface_type' ? 'interface' : kind;
}

/** `(p *Point) Move` → `Point.Move`: a Go method belongs to its receiver's type. */
function goMethodName(node: SyntaxNodeLike): string | undefined {
  const name = byNameField(node);
  const receiver = node.childForFieldName('receiver')?.namedChildren[0]?.childForFieldName('type')?.text;
  if (!name) return undefined;
  const typeName = receiver?.replace(/^\*/, '').replace(/\[.*\]$/, '');
  return typeName ? `${typeName}.${name}` : name;
}

/** `Display for Point` or `Point`, as written after `impl`. */
function rustImplName(node: SyntaxNodeLike): string | undefined {
  const type = node.childForFieldName('type')?.text;
  const trait = node.childForFieldName('trait')?.text;
  if (!type) return undefined;
  return trait ? `${trait} for ${type}` : type;
}

/** One line per symbol, members indented under their container (down to `depth` levels): `class Box  L3-9`. */
export function formatSymbols(symbols: CodeSymbol[], indent = '', depth = Infinity): string[] {
  const lines: string[] = [];
  // A stack, not recursion, for the same reason as in extractSymbols: classes can nest thousands deep.
  const pending = symbols.map((symbol) => ({ symbol, indent, depth })).reverse();
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { symbol, indent: shown, depth: left } = next;
    if (left <= 0) continue;
    lines.push(`${shown}${symbol.kind} ${symbol.name}  L${symbol.startLine}-${symbol.endLine}`);
    for (let index = symbol.children.length - 1; index >= 0; index--)
      pending.push({ symbol: symbol.children[index], indent: `${shown}  `, depth: left - 1 });
  }
  return lines;
}
