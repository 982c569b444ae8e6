/**
 * A parser for Python literals as `repr()` writes them (strings, numbers, True/False/None, lists, tuples,
 * dicts), so dataset fields stored as `"[{'user': 'x'}]"` can be read without evaluating code.
 */

export type PythonValue = string | number | boolean | null | PythonValue[] | { [key: string]: PythonValue };

export class PythonLiteralError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = 'PythonLiteralError';
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
  '\n': '',
};

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseAll(): PythonValue {
    const value = this.value();
    this.skipSpace();
    if (this.pos !== this.text.length) this.fail('unexpected text after the literal');
    return value;
  }

  private fail(message: string): never {
    throw new PythonLiteralError(message, this.pos);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private value(): PythonValue {
    this.skipSpace();
    const ch = this.text[this.pos];
    if (ch === undefined) this.fail('unexpected end of literal');
    if (ch === '[') return this.sequence(']');
    if (ch === '(') return this.sequence(')');
    if (ch === '{') return this.dict();
    if (ch === "'" || ch === '"') return this.string();
    if (/[rRuUbB]/.test(ch) && /['"]/.test(this.text[this.pos + 1] ?? '')) return this.string();
    if (/[-+0-9.]/.test(ch)) return this.number();
    for (const [word, result] of [
      ['None', null],
      ['True', true],
      ['False', false],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return result;
      }
    }
    return this.fail(`unexpected character '${ch}'`);
  }

  private sequence(close: string): PythonValue[] {
    this.pos++;
    const items: PythonValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value());
      this.skipSpace();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== close) this.fail(`expected ',' or '${close}'`);
    }
  }

  private dict(): { [key: string]: PythonValue } {
    this.pos++;
    const result: { [key: string]: PythonValue } = {};
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return result;
      }
      const key = this.value();
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      result[String(key)] = this.value();
      this.skipSpace();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail("expected ',' or '}'");
    }
  }

  private string(): string {
    let raw = false;
    while (/[rRuUbB]/.test(this.text[this.pos])) raw ||= /[rR]/.test(this.text[this.pos++]);
    const quote = this.text[this.pos];
    const delimiter = this.text.startsWith(quote.repeat(3), this.pos) ? quote.repeat(3) : quote;
    this.pos += delimiter.length;
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) this.fail('unterminated string');
      if (this.text.startsWith(delimiter, this.pos)) {
        this.pos += delimiter.length;
        return out;
      }
      const ch = this.text[this.pos];
      if (ch === '\\') out += this.escape(raw);
      else {
        if (ch === '\n' && delimiter.length === 1) this.fail('newline inside a single-quoted string');
        out += ch;
        this.pos++;
      }
    }
  }

  private escape(raw: boolean): string {
    const next = this.text[this.pos + 1];
    if (next === undefined) this.fail('unterminated string');
    if (raw) {
      this.pos += 2;
      return `\\${next}`;
    }
    if (next in SIMPLE_ESCAPES) {
      this.pos += 2;
      return SIMPLE_ESCAPES[next];
    }
    const hexLength = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    if (hexLength) {
      const hex = this.text.slice(this.pos + 2, this.pos + 2 + hexLength);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex)) this.fail(`bad \\${next} escape`);
      this.pos += 2 + hexLength;
      return String.fromCodePoint(parseInt(hex, 16));
    }
    // Python keeps unknown escapes such as `\d` as they are.
    this.pos += 2;
    return `\\${next}`;
  }

  private number(): number {
    const match = /^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?/.exec(this.text.slice(this.pos));
    if (!match || match[0] === '' || /^[-+]?$/.test(match[0])) this.fail('bad number');
    this.pos += match[0].length;
    return Number(match[0].replace(/_/g, ''));
  }
}

export function parsePythonLiteral(text: string): PythonValue {
  return new Parser(text).parseAll();
}
