import { DomainError } from '../../../common/errors/domain-error';
import { ScimErrorCode } from '../../../common/errors/error-code';

export const COMPARE_OPERATORS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const;
export type CompareOperator = (typeof COMPARE_OPERATORS)[number];
export type FilterValue = string | number | boolean | null;

/** A filter as written (RFC 7644 §3.4.2.2): attribute paths still unresolved. */
export type FilterNode =
  | { op: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { op: 'not'; filter: FilterNode }
  | { op: 'pr'; path: string }
  | { op: CompareOperator; path: string; value: FilterValue }
  /** `attrPath "[" valFilter "]"`: an element of a multi-valued attribute matching `filter`. */
  | { op: 'valuePath'; path: string; filter: FilterNode };

/** A PATCH path (RFC 7644 §3.5.2): `attrPath`, or `valuePath ["." subAttr]`. */
export interface PatchPathNode {
  path: string;
  filter: FilterNode | null;
  /** The sub-attribute after `]`, without its dot. */
  sub: string | null;
}

/** Bounds that keep a hostile filter cheap to parse and to run. */
export const MAX_FILTER_LENGTH = 4096;
export const MAX_FILTER_DEPTH = 16;
export const MAX_FILTER_TERMS = 64;

type Token =
  | { kind: '(' | ')' | '[' | ']'; at: number }
  | { kind: 'string'; value: string; at: number }
  | { kind: 'word'; value: string; at: number };

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const ATTRIBUTE_PATH = /^(?:urn:[A-Za-z0-9:._$-]+:)?[A-Za-z$][\w$-]*(?:\.[A-Za-z$][\w$-]*)?$/i;
const SUB_ATTRIBUTE = /^\.[A-Za-z$][\w$-]*$/;

function invalid(detail: string): DomainError {
  return new DomainError(ScimErrorCode.InvalidFilter, detail);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      tokens.push({ kind: c, at: i });
      i++;
    } else if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (end >= text.length) throw invalid(`The string at position ${i + 1} is not closed.`);
      let value: unknown;
      try {
        value = JSON.parse(text.slice(i, end + 1));
      } catch {
        throw invalid(`The string at position ${i + 1} has an invalid escape.`);
      }
      tokens.push({ kind: 'string', value: value as string, at: i });
      i = end + 1;
    } else {
      let end = i;
      while (end < text.length && !' \t\n\r()[]"'.includes(text[end])) end++;
      tokens.push({ kind: 'word', value: text.slice(i, end), at: i });
      i = end;
    }
  }
  return tokens;
}

/** A recursive-descent parser: `or` binds loosest, then `and`, then `not` and groups. */
class Parser {
  private position = 0;
  private terms = 0;

  constructor(private readonly tokens: Token[]) {}

  done(): boolean {
    return this.position === this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.position];
  }

  next(): Token {
    const token = this.tokens[this.position++];
    if (!token) throw invalid('The filter ends too early.');
    return token;
  }

  expect(kind: ')' | ']'): void {
    const token = this.next();
    if (token.kind !== kind) throw invalid(`Expected "${kind}" at position ${token.at + 1}.`);
  }

  private isKeyword(token: Token | undefined, keyword: string): boolean {
    return token?.kind === 'word' && token.value.toLowerCase() === keyword;
  }

  or(depth: number, inValuePath: boolean): FilterNode {
    let left = this.and(depth, inValuePath);
    while (this.isKeyword(this.peek(), 'or')) {
      this.next();
      left = { op: 'or', left, right: this.and(depth, inValuePath) };
    }
    return left;
  }

  private and(depth: number, inValuePath: boolean): FilterNode {
    let left = this.unary(depth, inValuePath);
    while (this.isKeyword(this.peek(), 'and')) {
      this.next();
      left = { op: 'and', left, right: this.unary(depth, inValuePath) };
    }
    return left;
  }

  private unary(depth: number, inValuePath: boolean): FilterNode {
    if (depth > MAX_FILTER_DEPTH) {
      throw invalid(`The filter nests more than ${MAX_FILTER_DEPTH} levels deep.`);
    }
    const token = this.peek();
    if (this.isKeyword(token, 'not') && this.tokens[this.position + 1]?.kind === '(') {
      this.next();
      this.next();
      const filter = this.or(depth + 1, inValuePath);
      this.expect(')');
      return { op: 'not', filter };
    }
    if (token?.kind === '(') {
      this.next();
      const filter = this.or(depth + 1, inValuePath);
      this.expect(')');
      return filter;
    }
    return this.attributeExpression(depth, inValuePath);
  }

  attributePath(): string {
    const token = this.next();
    if (token.kind !== 'word' || !ATTRIBUTE_PATH.test(token.value)) {
      throw invalid(`Expected an attribute name at position ${token.at + 1}.`);
    }
    return token.value;
  }

  private attributeExpression(depth: number, inValuePath: boolean): FilterNode {
    if (++this.terms > MAX_FILTER_TERMS) {
      throw invalid(`The filter has more than ${MAX_FILTER_TERMS} comparisons.`);
    }
    const path = this.attributePath();
    if (this.peek()?.kind === '[') {
      const open = this.next();
      if (inValuePath) throw invalid(`Value filters cannot nest (position ${open.at + 1}).`);
      const filter = this.or(depth + 1, true);
      this.expect(']');
      return { op: 'valuePath', path, filter };
    }
    const operator = this.next();
    if (operator.kind !== 'word') {
      throw invalid(`Expected an operator at position ${operator.at + 1}.`);
    }
    const op = operator.value.toLowerCase();
    if (op === 'pr') return { op: 'pr', path };
    if (!(COMPARE_OPERATORS as readonly string[]).includes(op)) {
      throw invalid(`"${operator.value}" at position ${operator.at + 1} is not an operator.`);
    }
    return { op: op as CompareOperator, path, value: this.value() };
  }

  private value(): FilterValue {
    const token = this.next();
    if (token.kind === 'string') return token.value;
    if (token.kind === 'word') {
      const word = token.value.toLowerCase();
      if (word === 'true') return true;
      if (word === 'false') return false;
      if (word === 'null') return null;
      if (NUMBER.test(token.value)) return Number(token.value);
    }
    throw invalid(
      `Expected a value (a quoted string, a number, true, false or null) at position ${token.at + 1}.`,
    );
  }
}

function checkLength(text: string, what: string): void {
  if (text.length > MAX_FILTER_LENGTH) {
    throw invalid(`The ${what} is longer than ${MAX_FILTER_LENGTH} characters.`);
  }
}

/** Parses a filter; anything that does not follow the grammar is a 400 `invalidFilter`. */
export function parseFilter(text: string): FilterNode {
  checkLength(text, 'filter');
  const parser = new Parser(tokenize(text));
  if (parser.done()) throw invalid('The filter is empty.');
  const filter = parser.or(0, false);
  const extra = parser.peek();
  if (extra) throw invalid(`Unexpected text at position ${extra.at + 1}.`);
  return filter;
}

/** Parses a PATCH `path`; one that does not follow the grammar is a 400 `invalidPath`. */
export function parsePatchPath(text: string): PatchPathNode {
  try {
    checkLength(text, 'path');
    const parser = new Parser(tokenize(text));
    const path = parser.attributePath();
    let filter: FilterNode | null = null;
    let sub: string | null = null;
    if (parser.peek()?.kind === '[') {
      parser.next();
      filter = parser.or(1, true);
      parser.expect(']');
      const after = parser.peek();
      if (after?.kind === 'word' && SUB_ATTRIBUTE.test(after.value)) {
        parser.next();
        sub = after.value.slice(1);
      }
    }
    if (!parser.done()) throw invalid('Unexpected text after the path.');
    return { path, filter, sub };
  } catch (error) {
    if (error instanceof DomainError) {
      throw new DomainError(ScimErrorCode.InvalidPath, `The path is invalid: ${error.detail}`);
    }
    throw error;
  }
}
