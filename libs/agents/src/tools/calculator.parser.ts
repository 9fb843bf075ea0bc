import { ToolError } from '../tool.js';

/**
 * Evaluates an arithmetic expression without eval or Function: a tokenizer and a recursive-descent parser
 * that computes as it parses. Grammar, loosest binding first:
 *
 *   sum     := product (('+' | '-') product)*
 *   product := unary (('*' | '/' | '%') unary)*
 *   unary   := ('-' | '+') unary | power
 *   power   := primary ('^' unary)?          right-associative: 2^3^2 = 2^9; -2^2 = -(2^2) as in maths
 *   primary := number | constant | function '(' sum (',' sum)* ')' | '(' sum ')'
 *
 * Every failure is a ToolError the model can act on: where the syntax broke (with a caret under the spot),
 * which name is unknown, which operation gave no finite number.
 */
export function evaluateExpression(expression: string): number {
  if (expression.length > MAX_LENGTH) throw new ToolError(`the expression is longer than ${MAX_LENGTH} characters`);
  const parser = new Parser(expression, tokenize(expression));
  const value = parser.parse();
  return value;
}

/** Formats a result for the model: 15 significant digits, so 0.1 + 0.2 reads 0.3. */
export function formatNumber(value: number): string {
  return String(Number(value.toPrecision(15)));
}

const MAX_LENGTH = 2000;
/** Nesting deeper than this is refused before the parser's recursion could overflow the stack. */
const MAX_DEPTH = 100;

type Token =
  | { kind: 'number'; value: number; pos: number; text: string }
  | { kind: 'name'; value: string; pos: number; text: string }
  | { kind: 'op'; value: '+' | '-' | '*' | '/' | '%' | '^' | '(' | ')' | ','; pos: number; text: string }
  | { kind: 'end'; pos: number; text: string };

const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const OPERATORS = new Set(['+', '-', '*', '/', '%', '^', '(', ')', ',']);

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < source.length) {
    const rest = source.slice(pos);
    const char = rest[0]!;
    if (/\s/.test(char)) {
      pos += 1;
      continue;
    }
    const number = NUMBER.exec(rest);
    if (number) {
      const text = number[0];
      // "2e" or "1.5e+" would otherwise stop before the "e" and then read it as the constant e.
      if (/^[eE]/.test(source.slice(pos + text.length)) && !/[eE]/.test(text)) {
        throw syntaxError(source, pos + text.length, `incomplete exponent after "${text}" (write e.g. ${text}e3)`);
      }
      tokens.push({ kind: 'number', value: Number(text), pos, text });
      pos += text.length;
      continue;
    }
    const name = NAME.exec(rest);
    if (name) {
      tokens.push({ kind: 'name', value: name[0].toLowerCase(), pos, text: name[0] });
      pos += name[0].length;
      continue;
    }
    // "**" is a common spelling of power; accept it as "^".
    if (rest.startsWith('**')) {
      tokens.push({ kind: 'op', value: '^', pos, text: '**' });
      pos += 2;
      continue;
    }
    if (OPERATORS.has(char)) {
      tokens.push({ kind: 'op', value: char as '+', pos, text: char });
      pos += 1;
      continue;
    }
    throw syntaxError(source, pos, `unexpected character "${char}"`);
  }
  tokens.push({ kind: 'end', pos: source.length, text: 'end of expression' });
  return tokens;
}

const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E };

interface FunctionSpec {
  /** Fewest and most arguments; Infinity for variadic. */
  arity: [number, number];
  apply: (args: number[]) => number;
}

const unary = (fn: (x: number) => number): FunctionSpec => ({ arity: [1, 1], apply: (args) => fn(args[0]!) });

const FUNCTIONS: Record<string, FunctionSpec> = {
  sqrt: unary(Math.sqrt),
  abs: unary(Math.abs),
  // round(x) to an integer, round(x, n) to n decimals: models often want money-style rounding.
  round: { arity: [1, 2], apply: ([x = 0, digits = 0]) => roundTo(x, digits) },
  floor: unary(Math.floor),
  ceil: unary(Math.ceil),
  ln: unary(Math.log),
  log: unary(Math.log),
  log10: unary(Math.log10),
  log2: unary(Math.log2),
  exp: unary(Math.exp),
  sin: unary(Math.sin),
  cos: unary(Math.cos),
  tan: unary(Math.tan),
  min: { arity: [1, Infinity], apply: (args) => Math.min(...args) },
  max: { arity: [1, Infinity], apply: (args) => Math.max(...args) },
};

/** The names the model may use, for error messages. */
export const calculatorNames = { constants: Object.keys(CONSTANTS), functions: Object.keys(FUNCTIONS) };

function roundTo(x: number, digits: number): number {
  if (!Number.isInteger(digits) || digits < 0 || digits > 15) {
    throw new ToolError(`round(x, n) takes a whole number of decimals n from 0 to 15, got ${formatNumber(digits)}`);
  }
  const factor = 10 ** digits;
  // Math.round rounds -2.5 to -2; round half away from zero, as people expect.
  return (Math.sign(x) * Math.round(Math.abs(x) * factor)) / factor;
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  parse(): number {
    if (this.peek().kind === 'end') throw new ToolError('the expression is empty');
    const value = this.sum();
    const next = this.peek();
    if (next.kind !== 'end') {
      const hint = next.kind === 'op' && next.value === ')' ? 'a ")" without its "("' : `"${next.text}" where an operator or the end was expected`;
      throw syntaxError(this.source, next.pos, `unexpected ${hint}`);
    }
    return value;
  }

  private sum(): number {
    let value = this.product();
    for (let token = this.peek(); isOp(token, '+') || isOp(token, '-'); token = this.peek()) {
      this.index += 1;
      const right = this.product();
      value = finite(token.value === '+' ? value + right : value - right, token, this.source);
    }
    return value;
  }

  private product(): number {
    let value = this.unary();
    for (let token = this.peek(); isOp(token, '*') || isOp(token, '/') || isOp(token, '%'); token = this.peek()) {
      this.index += 1;
      const right = this.unary();
      if (token.value === '*') {
        value = finite(value * right, token, this.source);
        continue;
      }
      if (right === 0) throw new ToolError(`division by zero at position ${token.pos + 1}${caret(this.source, token.pos)}`);
      value = finite(token.value === '/' ? value / right : value % right, token, this.source);
    }
    return value;
  }

  private unary(): number {
    const token = this.peek();
    if (isOp(token, '-') || isOp(token, '+')) {
      this.index += 1;
      const operand = this.nested(() => this.unary());
      return token.value === '-' ? -operand : operand;
    }
    return this.power();
  }

  private power(): number {
    const base = this.primary();
    const token = this.peek();
    if (!isOp(token, '^')) return base;
    this.index += 1;
    // The exponent is a unary, so 2^-1 works and 2^3^2 recurses into power again: right-associative.
    const exponent = this.nested(() => this.unary());
    return finite(base ** exponent, token, this.source);
  }

  private primary(): number {
    const token = this.next();
    switch (token.kind) {
      case 'number':
        if (!Number.isFinite(token.value)) throw syntaxError(this.source, token.pos, `${token.text} is too large for a number`);
        return token.value;
      case 'name':
        return this.name(token);
      case 'op':
        if (token.value === '(') {
          const value = this.nested(() => this.sum());
          this.expect(')', 'to close the "(" at position ' + (token.pos + 1));
          return value;
        }
        throw syntaxError(this.source, token.pos, `unexpected "${token.text}" where a number, name or "(" was expected`);
      case 'end':
        throw syntaxError(this.source, token.pos, 'the expression ends where a number, name or "(" was expected');
    }
  }

  private name(token: Extract<Token, { kind: 'name' }>): number {
    const fn = FUNCTIONS[token.value];
    const constant = CONSTANTS[token.value];
    const called = isOp(this.peek(), '(');
    if (constant !== undefined) {
      if (called) throw syntaxError(this.source, token.pos, `${token.text} is a constant, not a function`);
      return constant;
    }
    if (!fn) {
      throw new ToolError(
        `unknown name "${token.text}" at position ${token.pos + 1}; known constants: ${calculatorNames.constants.join(', ')}; ` +
          `functions: ${calculatorNames.functions.join(', ')}`,
      );
    }
    if (!called) throw syntaxError(this.source, token.pos, `${token.text} is a function: write ${token.value}(...)`);
    this.index += 1;
    const args = this.nested(() => this.arguments());
    const [least, most] = fn.arity;
    if (args.length < least || args.length > most) {
      const wanted = least === most ? `${least}` : most === Infinity ? `at least ${least}` : `${least} to ${most}`;
      throw new ToolError(`${token.value}() takes ${wanted} argument${wanted === '1' ? '' : 's'}, got ${args.length}`);
    }
    const value = fn.apply(args);
    if (!Number.isFinite(value)) {
      throw new ToolError(`${token.value}(${args.map(formatNumber).join(', ')}) has no finite result (${String(value)})`);
    }
    return value;
  }

  private arguments(): number[] {
    const args: number[] = [];
    if (isOp(this.peek(), ')')) {
      this.index += 1;
      return args;
    }
    for (;;) {
      args.push(this.sum());
      const token = this.next();
      if (isOp(token, ')')) return args;
      if (!isOp(token, ',')) throw syntaxError(this.source, token.pos, `expected "," or ")" in the argument list, found "${token.text}"`);
    }
  }

  private nested<T>(parse: () => T): T {
    this.depth += 1;
    if (this.depth > MAX_DEPTH) throw new ToolError(`the expression nests deeper than ${MAX_DEPTH} levels`);
    try {
      return parse();
    } finally {
      this.depth -= 1;
    }
  }

  private expect(op: ')', why: string): void {
    const token = this.next();
    if (!isOp(token, op)) throw syntaxError(this.source, token.pos, `expected "${op}" ${why}, found ${token.kind === 'end' ? 'the end' : `"${token.text}"`}`);
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index += 1;
    return token;
  }
}

function isOp<V extends string>(token: Token, value: V): token is Extract<Token, { kind: 'op' }> & { value: V } {
  return token.kind === 'op' && token.value === value;
}

function finite(value: number, token: Token, source: string): number {
  if (Number.isFinite(value)) return value;
  throw new ToolError(`"${token.text}" at position ${token.pos + 1} gives no finite result (${String(value)})${caret(source, token.pos)}`);
}

function syntaxError(source: string, pos: number, message: string): ToolError {
  return new ToolError(`syntax error at position ${pos + 1}: ${message}${caret(source, pos)}`);
}

/** The expression with a caret under the spot, for expressions short enough to show on one line. */
function caret(source: string, pos: number): string {
  if (source.length > 200 || /[\r\n]/.test(source)) return '';
  return `\n  ${source}\n  ${' '.repeat(pos)}^`;
}
