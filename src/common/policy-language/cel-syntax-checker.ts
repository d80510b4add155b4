import { ConditionSyntaxError, sourcePosition } from './condition-syntax-error';

type TokenKind = 'name' | 'number' | 'string' | 'operator' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
  offset: number;
}

/** Words CEL keeps for itself; these four are also refused as field names. */
const KEYWORDS = new Set(['true', 'false', 'null', 'in']);
const LITERAL_WORDS = new Set(['true', 'false', 'null']);
const RESERVED = new Set([
  ...KEYWORDS,
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);
const RELATIONS = new Set(['<', '<=', '>=', '>', '==', '!=', 'in']);
const OPERATORS = [
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '<',
  '>',
  '!',
  '+',
  '-',
  '*',
  '/',
  '%',
  '?',
  ':',
  '.',
  ',',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
];
/** Single characters people type for an operator CEL spells differently. */
const MISTYPED: Record<string, string> = { '=': '==', '&': '&&', '|': '||' };

const isDigit = (char: string) => char >= '0' && char <= '9';
const isHexDigit = (char: string) => /^[0-9a-fA-F]$/.test(char);
const isNameStart = (char: string) => /^[_a-zA-Z]$/.test(char);
const isNamePart = (char: string) => /^[_a-zA-Z0-9]$/.test(char);
const isSpace = (char: string) => char === ' ' || /^[\t\n\f\r]$/.test(char);

/**
 * A recognizer for CEL's grammar (cel-spec langdef.md) that stops at the first error and says
 * where it is. @bufbuild/cel's parser stays the authority on what compiles; it reports where
 * the longest complete expression ended (`a.b(` fails at the `.`, an unclosed `(` on line 2 is
 * blamed on the `&&` before it on line 1), which sends an admin to the wrong place. This is only
 * consulted once that parser has refused a condition, so it is as lenient as that parser where
 * the two could differ (escape sequences are not checked).
 */
export class CelSyntaxChecker {
  private position = 0;
  private lookahead: Token | undefined;
  /** Where the last token read started: the opening bracket of a list being read, say. */
  private lastTokenStart = 0;
  /** Where the last token ended: errors at the end of input point there, not past trailing space. */
  private lastTokenEnd = 0;

  private constructor(private readonly source: string) {}

  /** The first syntax error in `source`, or null when the grammar accepts it. */
  static firstError(source: string): ConditionSyntaxError | null {
    try {
      const checker = new CelSyntaxChecker(source);
      checker.expression();
      checker.expect('', 'an operator or the end of the condition');
      return null;
    } catch (error) {
      if (error instanceof ConditionSyntaxError) return error;
      throw error;
    }
  }

  // Grammar, one method per rule.

  private expression(): void {
    this.conditionalOr();
    if (this.accept('?')) {
      const question = this.lastTokenStart;
      this.conditionalOr();
      this.expect(':', `":" for the "?" at ${this.where(question)}`);
      this.expression();
    }
  }

  private conditionalOr(): void {
    this.conditionalAnd();
    while (this.accept('||')) this.conditionalAnd();
  }

  private conditionalAnd(): void {
    this.relation();
    while (this.accept('&&')) this.relation();
  }

  private relation(): void {
    this.addition();
    while (isRelation(this.peek())) {
      this.next();
      this.addition();
    }
  }

  private addition(): void {
    this.multiplication();
    while (this.accept('+') || this.accept('-')) this.multiplication();
  }

  private multiplication(): void {
    this.unary();
    while (this.accept('*') || this.accept('/') || this.accept('%')) this.unary();
  }

  private unary(): void {
    if (this.accept('!')) {
      while (this.accept('!'));
    } else if (this.accept('-')) {
      while (this.accept('-'));
    }
    this.member();
  }

  private member(): void {
    let qualifiedName = this.primary();
    for (;;) {
      if (this.accept('.')) {
        this.selector();
        if (this.accept('(')) {
          this.argumentsUntil(')');
          qualifiedName = false;
        }
      } else if (this.accept('[')) {
        this.bracketed(() => this.expression(), ']');
        qualifiedName = false;
      } else if (qualifiedName && this.peek().text === '{' && this.peek().kind === 'operator') {
        this.next();
        this.initializersUntil('}', () => this.selector());
        qualifiedName = false;
      } else {
        return;
      }
    }
  }

  /** Returns whether what was read is a (possibly dotted) name, which may start a message. */
  private primary(): boolean {
    const token = this.peek();
    if (token.kind === 'operator' && token.text === '.') {
      this.next();
      this.identifier();
      return this.callOrName();
    }
    if (token.kind === 'number' || token.kind === 'string' || isLiteralWord(token)) {
      this.next();
      return false;
    }
    if (token.kind === 'name') {
      this.identifier();
      return this.callOrName();
    }
    if (this.accept('(')) {
      this.bracketed(() => this.expression(), ')', token);
    } else if (this.accept('[')) {
      this.listUntil(']', token);
    } else if (this.accept('{')) {
      this.initializersUntil('}', () => this.expression(), token);
    } else {
      this.fail(token, 'an expression');
    }
    return false;
  }

  private callOrName(): boolean {
    if (!this.accept('(')) return true;
    this.argumentsUntil(')');
    return false;
  }

  private identifier(): void {
    const token = this.peek();
    if (token.kind === 'name' && RESERVED.has(token.text)) {
      throw this.error(token.offset, `"${token.text}" is a reserved word`);
    }
    if (token.kind !== 'name') this.fail(token, 'a name');
    this.next();
  }

  private selector(): void {
    const token = this.peek();
    if (token.kind === 'name' && KEYWORDS.has(token.text)) {
      throw this.error(token.offset, `"${token.text}" cannot be used as a field name`);
    }
    if (token.kind !== 'name') this.fail(token, 'a field name');
    this.next();
  }

  /** A call's arguments, with the opening parenthesis already read; no trailing comma. */
  private argumentsUntil(close: string): void {
    const open = this.lastTokenStart;
    if (this.accept(close)) return;
    do this.expression();
    while (this.accept(','));
    this.expectClosing(close, open);
  }

  /** A list literal's elements, with the `[` already read; a trailing comma is allowed. */
  private listUntil(close: string, open: Token): void {
    while (!this.accept(close)) {
      this.expression();
      if (!this.accept(',')) {
        this.expectClosing(close, open.offset);
        return;
      }
    }
  }

  /** `key: value` pairs of a map or message, with the `{` already read; trailing comma allowed. */
  private initializersUntil(close: string, key: () => void, open?: Token): void {
    const openOffset = open?.offset ?? this.lastTokenStart;
    while (!this.accept(close)) {
      key();
      this.expect(':', '":" after the key');
      this.expression();
      if (!this.accept(',')) {
        this.expectClosing(close, openOffset);
        return;
      }
    }
  }

  private bracketed(inner: () => void, close: string, open?: Token): void {
    const openOffset = open?.offset ?? this.lastTokenStart;
    inner();
    this.expectClosing(close, openOffset);
  }

  // Token handling.

  private expectClosing(close: string, openOffset: number): void {
    const opener = close === ')' ? '(' : close === ']' ? '[' : '{';
    this.expect(close, `"${close}" to close the "${opener}" at ${this.where(openOffset)}`);
  }

  private expect(text: string, expected: string): void {
    const token = this.peek();
    const matches =
      text === '' ? token.kind === 'end' : token.kind === 'operator' && token.text === text;
    if (!matches) this.fail(token, expected);
    this.next();
  }

  private accept(operator: string): boolean {
    const token = this.peek();
    if (token.kind !== 'operator' || token.text !== operator) return false;
    this.next();
    return true;
  }

  private fail(token: Token, expected: string): never {
    throw this.error(token.offset, `expected ${expected}, found ${describe(token)}`);
  }

  private error(offset: number, reason: string): ConditionSyntaxError {
    return new ConditionSyntaxError(reason, sourcePosition(this.source, offset));
  }

  private where(offset: number): string {
    const { line, column } = sourcePosition(this.source, offset);
    return `line ${line}, column ${column}`;
  }

  private next(): Token {
    const token = this.peek();
    this.lookahead = undefined;
    this.lastTokenStart = token.offset;
    this.lastTokenEnd = token.offset + token.text.length;
    return token;
  }

  private peek(): Token {
    this.lookahead ??= this.scan();
    return this.lookahead;
  }

  private scan(): Token {
    this.skipSpaceAndComments();
    const { source } = this;
    const start = this.position;
    if (start >= source.length) return { kind: 'end', text: '', offset: this.lastTokenEnd };
    const char = source[start];
    if (isDigit(char) || (char === '.' && isDigit(source[start + 1] ?? ''))) {
      return this.number(start);
    }
    const quote = this.stringOpening(start);
    if (quote !== null) return this.string(start, quote);
    if (isNameStart(char)) {
      let end = start + 1;
      while (end < source.length && isNamePart(source[end])) end++;
      return this.token('name', start, end);
    }
    const operator = OPERATORS.find((candidate) => source.startsWith(candidate, start));
    if (operator !== undefined) return this.token('operator', start, start + operator.length);
    const intended = MISTYPED[char];
    throw this.error(
      start,
      intended
        ? `"${char}" is not an operator; did you mean "${intended}"?`
        : `unexpected character "${String.fromCodePoint(source.codePointAt(start) ?? 0)}"`,
    );
  }

  private token(kind: TokenKind, start: number, end: number): Token {
    this.position = end;
    return { kind, text: this.source.slice(start, end), offset: start };
  }

  private skipSpaceAndComments(): void {
    const { source } = this;
    for (;;) {
      while (this.position < source.length && isSpace(source[this.position])) this.position++;
      if (!source.startsWith('//', this.position)) return;
      while (this.position < source.length && !/^[\r\n]$/.test(source[this.position])) {
        this.position++;
      }
    }
  }

  /** Integers (decimal or 0x hex, optionally u-suffixed) and floats (`1.5`, `.5`, `1e-3`). */
  private number(start: number): Token {
    const { source } = this;
    let end = start;
    if (source.startsWith('0x', start)) {
      end = start + 2;
      if (!isHexDigit(source[end] ?? '')) throw this.error(start, 'expected hex digits after "0x"');
      while (isHexDigit(source[end] ?? '')) end++;
      if (/^[uU]$/.test(source[end] ?? '')) end++;
      return this.token('number', start, end);
    }
    while (isDigit(source[end] ?? '')) end++;
    let float = false;
    if (source[end] === '.' && isDigit(source[end + 1] ?? '')) {
      float = true;
      end++;
      while (isDigit(source[end] ?? '')) end++;
    }
    const exponent = /^[eE][+-]?[0-9]/.exec(source.slice(end, end + 3));
    if (exponent !== null) {
      float = true;
      end += exponent[0].length;
      while (isDigit(source[end] ?? '')) end++;
    }
    if (!float && /^[uU]$/.test(source[end] ?? '')) end++;
    return this.token('number', start, end);
  }

  /** The quote a string or bytes literal starting at `start` opens with, after r/b prefixes. */
  private stringOpening(start: number): { quote: string; at: number; raw: boolean } | null {
    const prefix = /^[bB]?[rR]?/.exec(this.source.slice(start, start + 2))?.[0] ?? '';
    const at = start + prefix.length;
    const char = this.source[at];
    if (char !== '"' && char !== "'") return null;
    const quote = this.source.startsWith(char.repeat(3), at) ? char.repeat(3) : char;
    return { quote, at, raw: /[rR]/.test(prefix) };
  }

  private string(start: number, opening: { quote: string; at: number; raw: boolean }): Token {
    const { source } = this;
    const { quote, raw } = opening;
    let end = opening.at + quote.length;
    for (;;) {
      if (end >= source.length) {
        throw this.error(start, `string starting here is not closed by ${quote}`);
      }
      if (source.startsWith(quote, end)) return this.token('string', start, end + quote.length);
      const char = source[end];
      if (quote.length === 1 && (char === '\n' || char === '\r')) {
        throw this.error(
          start,
          `string starting here is not closed by ${quote} before the end of the line ` +
            '(use triple quotes for a string over several lines)',
        );
      }
      end += !raw && char === '\\' ? 2 : 1;
    }
  }
}

const isRelation = (token: Token) =>
  (token.kind === 'operator' || token.kind === 'name') && RELATIONS.has(token.text);

const isLiteralWord = (token: Token) => token.kind === 'name' && LITERAL_WORDS.has(token.text);

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the condition';
    case 'string':
      return 'a string';
    default:
      return `"${token.text}"`;
  }
}
